package preprocess

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZHoriz(b *testing.B) {
	src := randomRGB(rand.New(rand.NewPCG(1, 1)), 640, 480)
	var a axis
	a.prepare(640, 224)
	dst := make([]uint8, 3*224*480)
	rg, bb := make([]int64, 640), make([]uint8, 640)
	for b.Loop() {
		horizontalPass(dst, src.Pix, rg, bb, 640, 0, 480, &a)
	}
}

func BenchmarkZZVert(b *testing.B) {
	src := randomRGB(rand.New(rand.NewPCG(1, 1)), 224, 480)
	var a axis
	a.prepare(480, 224)
	dst := make([]uint8, 3*224*224)
	for b.Loop() {
		verticalPass(dst, src.Pix, 3*224, 0, &a)
	}
}

func BenchmarkZZToRGB(b *testing.B) {
	img, _ := cameraFrame()
	var m RGB
	for b.Loop() {
		toRGB(img, &m)
	}
}

func BenchmarkZZToCHW(b *testing.B) {
	p, _ := NewProcessor(DefaultConfig())
	src := randomRGB(rand.New(rand.NewPCG(1, 1)), 224, 224)
	dst := make([]float32, p.Len())
	for b.Loop() {
		p.toCHW(src.Pix, dst)
	}
}

func BenchmarkZZCopy(b *testing.B) {
	src := make([]byte, 640*480*4)
	dst := make([]byte, 640*480*4)
	for b.Loop() {
		copy(dst, src)
	}
}

func BenchmarkZZLoop(b *testing.B) {
	src := make([]byte, 640*480*4)
	dst := make([]byte, 640*480*3)
	for b.Loop() {
		for i := 0; i < 640*480; i++ {
			dst[3*i] = src[4*i]
		}
	}
}
