package preprocess

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomSizes are source→output sizes for the kernel and thread tests: the
// camera cases, odd widths, vector tails, 1-pixel images, upscaling.
func randomSizes(r *rand.Rand) [][4]int {
	sizes := [][4]int{
		{640, 480, 224, 224}, {1280, 720, 224, 224}, {640, 480, 364, 364},
		{1, 1, 224, 224}, {224, 224, 1, 1}, {1, 7, 3, 2}, {7, 1, 2, 3}, {1, 300, 1, 224},
		{3, 1000, 5, 7}, {1000, 3, 7, 5}, {2, 2, 224, 224}, {2, 3, 300, 5},
		{33, 17, 224, 224}, {17, 33, 31, 9}, {225, 223, 224, 224}, {4000, 5, 3, 5},
	}
	for range 30 {
		sizes = append(sizes, [4]int{1 + r.IntN(90), 1 + r.IntN(90), 1 + r.IntN(90), 1 + r.IntN(90)})
	}
	return sizes
}

func TestThreadsGiveSameResult(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range randomSizes(r) {
		src := randomRGB(r, s[0], s[1])
		want := refResize(src, s[2], s[3])
		cfg := DefaultConfig()
		cfg.Width, cfg.Height = s[2], s[3]
		var first []float32
		for _, threads := range []int{1, 2, 3, 8} {
			var rs Resizer
			rs.SetThreads(threads)
			var got RGB
			require.NoError(t, rs.Resize(src, s[2], s[3], &got))
			require.Equal(t, want, &got, "%v threads %d", s, threads)

			p, err := NewProcessor(cfg)
			require.NoError(t, err)
			p.SetThreads(threads)
			dst := make([]float32, p.Len())
			require.NoError(t, p.ApplyRGB(src, dst))
			if first == nil {
				first = dst
			}
			require.Equal(t, first, dst, "%v threads %d", s, threads)
		}
	}
}

// randomRGBX gives an RGBA (valid premultiplied, some translucent pixels)
// or NRGBA image, as a sub-image with its own offset and stride.
func randomRGBX(r *rand.Rand, w, h int, premul bool) image.Image {
	rect := image.Rect(-3, 2, w+5, h+4)
	sub := image.Rect(-1, 3, w-1, h+3)
	var pix []uint8
	var img interface {
		image.Image
		SubImage(image.Rectangle) image.Image
	}
	if premul {
		m := image.NewRGBA(rect)
		pix, img = m.Pix, m
	} else {
		m := image.NewNRGBA(rect)
		pix, img = m.Pix, m
	}
	for i := 0; i < len(pix); i += 4 {
		a := uint8(255)
		if r.IntN(4) == 0 {
			a = uint8(r.IntN(256))
		}
		for c := range 3 {
			v := uint8(r.IntN(256))
			if premul {
				v = uint8(int(v) * int(a) / 255)
			}
			pix[i+c] = v
		}
		pix[i+3] = a
	}
	return img.SubImage(sub)
}

// TestApplyRGBXDirect: RGBA and NRGBA frames go into the horizontal pass row
// by row; the result is that of converting to RGB first.
func TestApplyRGBXDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i, s := range randomSizes(r) {
		for _, premul := range []bool{true, false} {
			img := randomRGBX(r, s[0], s[1], premul)
			cfg := DefaultConfig()
			cfg.Width, cfg.Height = s[2], s[3]
			p, err := NewProcessor(cfg)
			require.NoError(t, err)
			p.SetThreads(1 + i%3)
			want := make([]float32, p.Len())
			require.NoError(t, p.ApplyRGB(ToRGB(img), want))
			got, err := p.Apply(img, nil)
			require.NoError(t, err)
			require.Equal(t, want, got, fmt.Sprintf("%v premul %v", s, premul))
		}
	}
}

func TestProcessorThreadsDoNotAllocate(t *testing.T) {
	for _, threads := range []int{1, 2, 4} {
		p, err := NewProcessor(DefaultConfig())
		require.NoError(t, err)
		p.SetThreads(threads)
		img, src := benchFrame(1280, 720)
		dst := make([]float32, p.Len())
		require.NoError(t, p.ApplyRGB(src, dst)) // warm the caches
		_, err = p.Apply(img, dst)
		require.NoError(t, err)
		var runErr error
		allocs := testing.AllocsPerRun(10, func() { runErr = p.ApplyRGB(src, dst) })
		require.NoError(t, runErr)
		require.Zero(t, allocs, "ApplyRGB, %d threads", threads)
		allocs = testing.AllocsPerRun(10, func() { _, runErr = p.Apply(img, dst) })
		require.NoError(t, runErr)
		require.Zero(t, allocs, "Apply RGBA, %d threads", threads)
	}
}
