package preprocess

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forEachKernelSet runs f with each kernel set this CPU has switched on,
// then restores the one in use.
func forEachKernelSet(t *testing.T, f func(t *testing.T, set string)) {
	was := Kernels()
	t.Cleanup(func() { useKernels(was) })
	sets := kernelSets()
	t.Logf("kernel sets: %d (in use: %s)", len(sets), was)
	for _, s := range sets {
		require.True(t, useKernels(s.name))
		t.Run(s.name, func(t *testing.T) { f(t, s.name) })
	}
}

func TestKernelsResizeMatchesReference(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, set string) {
		r := rand.New(rand.NewPCG(21, 22))
		var shared Resizer // cached coefficients across sizes
		shared.SetThreads(2)
		for _, s := range randomSizes(r) {
			src := randomRGB(r, s[0], s[1])
			want := refResize(src, s[2], s[3])
			var rs Resizer // fresh: the source is the last thing in its buffer
			var got RGB
			require.NoError(t, rs.Resize(src, s[2], s[3], &got))
			require.Equal(t, want, &got, "%s %v", set, s)
			require.NoError(t, shared.Resize(src, s[2], s[3], &got))
			require.Equal(t, want, &got, "%s %v shared", set, s)
		}
	})
}

// TestKernelsExtremeValues: all-0/255 checkerboards and stripes push the
// sums to their extremes (negative lobes, overshoot past 255).
func TestKernelsExtremeValues(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, set string) {
		for _, s := range [][4]int{{640, 480, 224, 224}, {97, 61, 364, 364}, {31, 7, 5, 3}, {9, 9, 30, 40}} {
			for pattern := range 3 {
				src := newRGB(s[0], s[1])
				for y := 0; y < s[1]; y++ {
					for x := 0; x < s[0]; x++ {
						v := uint8(0)
						switch pattern {
						case 0:
							v = uint8(255 * ((x + y) & 1))
						case 1:
							v = uint8(255 * ((x / 3) & 1))
						case 2:
							v = uint8(255 * ((y / 2) & 1))
						}
						src.Pix[3*(y*s[0]+x)] = v
						src.Pix[3*(y*s[0]+x)+1] = 255 - v
						src.Pix[3*(y*s[0]+x)+2] = v
					}
				}
				var got RGB
				var rs Resizer
				require.NoError(t, rs.Resize(src, s[2], s[3], &got))
				require.Equal(t, refResize(src, s[2], s[3]), &got, "%s %v pattern %d", set, s, pattern)
			}
		}
	})
}

func TestKernelsRGBX(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, set string) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{0, 1, 7, 8, 10, 11, 12, 16, 19, 33, 100, 1280} {
			for _, opaqueShare := range []int{1, 8, 1000} {
				src := make([]uint8, 4*n)
				for i := 0; i < n; i++ {
					a := uint8(255)
					if r.IntN(opaqueShare) == 0 {
						a = uint8(r.IntN(256))
					}
					for c := range 3 {
						src[4*i+c] = uint8(int(r.IntN(256)) * int(a) / 255)
					}
					src[4*i+3] = a
				}
				for _, premul := range []bool{true, false} {
					want := make([]uint8, 3*n)
					rgbxRowGo(want, src, premul)
					got := make([]uint8, 3*n)
					rgbxRow(got, src, premul)
					require.Equal(t, want, got, "%s n=%d premul=%v", set, n, premul)
				}
			}
		}
	})
}

func TestKernelsGoldenPNG(t *testing.T) {
	cfg := DefaultConfig()
	cases := goldenCases(t)
	forEachKernelSet(t, func(t *testing.T, set string) {
		n := 0
		for _, c := range cases {
			if !strings.HasSuffix(c.image, ".png") {
				continue
			}
			n++
			img, err := DecodeFile(c.image)
			require.NoError(t, err)
			for _, threads := range []int{1, 2} {
				p, err := NewProcessor(cfg)
				require.NoError(t, err)
				p.SetThreads(threads)
				got, err := p.Apply(img, nil)
				require.NoError(t, err)
				d := maxAbsDiff(got, c.want)
				require.LessOrEqual(t, d, 1e-5, fmt.Sprintf("%s %s threads %d", set, filepath.Base(c.image), threads))
			}
		}
		require.GreaterOrEqual(t, n, 17)
	})
}

// TestKernelsGoldenJPEG: on the JPEG goldens (close to PIL, not equal: Go's
// IDCT) every kernel set gives exactly the portable set's values.
func TestKernelsGoldenJPEG(t *testing.T) {
	cfg := DefaultConfig()
	cases := goldenCases(t)
	want := map[string][]float32{}
	forEachKernelSet(t, func(t *testing.T, set string) {
		for _, c := range cases {
			if !strings.HasSuffix(c.image, ".jpg") {
				continue
			}
			img, err := DecodeFile(c.image)
			require.NoError(t, err)
			got, err := Apply(img, cfg)
			require.NoError(t, err)
			if set == "portable" {
				want[c.image] = got
				continue
			}
			require.Equal(t, want[c.image], got, "%s %s", set, c.image)
		}
	})
}
