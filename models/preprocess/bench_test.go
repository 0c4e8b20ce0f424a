package preprocess

import (
	"image"
	"math/rand/v2"
	"testing"
)

func cameraFrame() (*image.RGBA, *RGB) {
	r := rand.New(rand.NewPCG(9, 10))
	rgb := randomRGB(r, 640, 480)
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := 0; i < 640*480; i++ {
		copy(img.Pix[4*i:], rgb.Pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img, rgb
}

// BenchmarkApply: one 640×480 RGBA frame to 224×224 pixel_values, reusing
// a Processor and its output (the camera loop).
func BenchmarkApply(b *testing.B) {
	img, _ := cameraFrame()
	p, err := NewProcessor(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, p.Len())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Apply(img, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyRGB: the same from packed RGB, with no allocation per frame.
func BenchmarkApplyRGB(b *testing.B) {
	_, rgb := cameraFrame()
	p, err := NewProcessor(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, p.Len())
	b.ReportAllocs()
	for b.Loop() {
		if err := p.ApplyRGB(rgb, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyOneShot: the package-level Apply, which builds its tables each call.
func BenchmarkApplyOneShot(b *testing.B) {
	img, _ := cameraFrame()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(img, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}
