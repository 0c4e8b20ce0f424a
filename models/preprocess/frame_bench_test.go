package preprocess

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
)

// frameSizes are the camera cases of the speed figures: a VGA and a 720p
// frame to the 224² checkpoints, and VGA to the -coco checkpoints' 364².
var frameSizes = []struct{ sw, sh, out int }{
	{640, 480, 224}, {1280, 720, 224}, {640, 480, 364},
}

func benchFrame(sw, sh int) (*image.RGBA, *RGB) {
	r := rand.New(rand.NewPCG(uint64(sw), uint64(sh)))
	rgb := randomRGB(r, sw, sh)
	img := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for i := 0; i < sw*sh; i++ {
		copy(img.Pix[4*i:], rgb.Pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img, rgb
}

// BenchmarkFrame: one camera frame to pixel_values with a reused Processor,
// from packed RGB (ApplyRGB) and from an opaque RGBA frame (Apply), on 1
// and 2 threads.
//
//	go test -run '^$' -bench Frame -count 6 ./models/preprocess/
func BenchmarkFrame(b *testing.B) {
	for _, fs := range frameSizes {
		img, rgb := benchFrame(fs.sw, fs.sh)
		for _, in := range []string{"rgb", "rgba"} {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("%dx%d-%d/%s/t%d", fs.sw, fs.sh, fs.out, in, threads)
				b.Run(name, func(b *testing.B) {
					cfg := DefaultConfig()
					cfg.Width, cfg.Height = fs.out, fs.out
					p, err := NewProcessor(cfg)
					if err != nil {
						b.Fatal(err)
					}
					p.SetThreads(threads)
					dst := make([]float32, p.Len())
					b.ReportAllocs()
					for b.Loop() {
						if in == "rgb" {
							err = p.ApplyRGB(rgb, dst)
						} else {
							_, err = p.Apply(img, dst)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
