package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refCoeffs is a plain transcription of Resample.c's precompute_coeffs and
// normalize_coeffs_8bpc: one slice of taps per output sample.
func refCoeffs(in, out int) (lo []int, k [][]int64) {
	scale := float64(in) / float64(out)
	fs := math.Max(scale, 1)
	support := 2 * fs
	ss := 1 / fs // PIL multiplies by the reciprocal; dividing can differ in the last bit
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > in {
			xmax = in
		}
		var w []float64
		sum := 0.0
		for j := xmin; j < xmax; j++ {
			v := bicubic((float64(j) - center + 0.5) * ss)
			w = append(w, v)
			sum += v
		}
		taps := make([]int64, len(w))
		for j, v := range w {
			if sum != 0 {
				v /= sum
			}
			taps[j] = int64(math.Trunc(v*(1<<22) + math.Copysign(0.5, v)))
		}
		lo = append(lo, xmin)
		k = append(k, taps)
	}
	return lo, k
}

// refResize runs both passes over whole images, int64 sums, pixel by pixel.
func refResize(src *RGB, w, h int) *RGB {
	clip := func(s int64) uint8 { return uint8(min(max(s>>22, 0), 255)) }
	hlo, hk := refCoeffs(src.W, w)
	tmp := newRGB(w, src.H)
	for y := 0; y < src.H; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				s := int64(1 << 21)
				for j, kv := range hk[x] {
					s += int64(src.Pix[3*(y*src.W+hlo[x]+j)+c]) * kv
				}
				tmp.Pix[3*(y*w+x)+c] = clip(s)
			}
		}
	}
	vlo, vk := refCoeffs(src.H, h)
	out := newRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				s := int64(1 << 21)
				for j, kv := range vk[y] {
					s += int64(tmp.Pix[3*((vlo[y]+j)*w+x)+c]) * kv
				}
				out.Pix[3*(y*w+x)+c] = clip(s)
			}
		}
	}
	return out
}

func newRGB(w, h int) *RGB {
	return &RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
}

func randomRGB(r *rand.Rand, w, h int) *RGB {
	m := newRGB(w, h)
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	return m
}

func TestResizeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type size struct{ sw, sh, dw, dh int }
	sizes := []size{
		{640, 480, 224, 224}, {448, 448, 224, 224}, {200, 200, 224, 224}, {300, 300, 224, 224},
		{224, 100, 224, 224}, {100, 224, 224, 224}, {1, 1, 224, 224}, {224, 224, 1, 1},
		{3, 1000, 5, 7}, {1000, 3, 7, 5}, {2, 2, 224, 224}, {2, 3, 300, 5},
	}
	for range 40 {
		sizes = append(sizes, size{1 + r.IntN(60), 1 + r.IntN(60), 1 + r.IntN(60), 1 + r.IntN(60)})
	}
	var rs Resizer // shared, so cached coefficients are exercised across sizes
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d_to_%dx%d", s.sw, s.sh, s.dw, s.dh), func(t *testing.T) {
			src := randomRGB(r, s.sw, s.sh)
			want := refResize(src, s.dw, s.dh)
			got := ResizeBicubic(src, s.dw, s.dh)
			require.Equal(t, want, got)
			var dst RGB
			require.NoError(t, rs.Resize(src, s.dw, s.dh, &dst))
			require.Equal(t, want, &dst)
		})
	}
}

func TestResizeKeepsConstantImages(t *testing.T) {
	for _, v := range []uint8{0, 1, 127, 254, 255} {
		src := newRGB(37, 53)
		for i := range src.Pix {
			src.Pix[i] = v
		}
		for _, sz := range [][2]int{{224, 224}, {5, 9}, {37, 10}, {100, 53}} {
			got := ResizeBicubic(src, sz[0], sz[1])
			// The size first: an empty result would pass the pixel loop unchecked.
			require.Equal(t, sz, [2]int{got.W, got.H}, "value %d", v)
			require.Len(t, got.Pix, 3*sz[0]*sz[1], "value %d to %v", v, sz)
			for _, p := range got.Pix {
				require.Equal(t, v, p, "value %d to %v", v, sz)
			}
		}
	}
}

func TestResizeSameSizeIsCopy(t *testing.T) {
	src := randomRGB(rand.New(rand.NewPCG(3, 4)), 31, 17)
	got := ResizeBicubic(src, 31, 17)
	require.Equal(t, src, got)
	got.Pix[0] ^= 0xff
	require.NotEqual(t, src.Pix[0], got.Pix[0], "result must not alias the source")
}

func TestCoefficientsSumToOne(t *testing.T) {
	for _, p := range [][2]int{{640, 224}, {480, 224}, {200, 224}, {7, 3}, {3, 7}} {
		var a axis
		a.prepare(p[0], p[1])
		for i := 0; i < a.out; i++ {
			sum := int32(0)
			for _, kv := range a.k[i*a.ksize : i*a.ksize+int(a.n[i])] {
				sum += kv
			}
			// Each tap rounds on its own: at most half a unit each.
			require.InDelta(t, 1<<precisionBits, sum, float64(a.ksize), "%v output %d", p, i)
		}
	}
}

// The horizontal pass packs two channels' sums into one int64; that is exact
// only while each sum fits in an int32, as PIL's own C ints also require.
func TestLaneSumsFitInt32(t *testing.T) {
	check := func(in, out int) {
		var a axis
		a.prepare(in, out)
		for i := 0; i < a.out; i++ {
			hi, lo := int64(1<<21), int64(1<<21)
			for _, kv := range a.k[i*a.ksize : i*a.ksize+int(a.n[i])] {
				if kv > 0 {
					hi += 255 * int64(kv)
				} else {
					lo += 255 * int64(kv)
				}
			}
			require.Less(t, hi, int64(math.MaxInt32), "%d->%d output %d", in, out, i)
			require.Greater(t, lo, int64(math.MinInt32), "%d->%d output %d", in, out, i)
		}
	}
	for in := 1; in <= 64; in++ {
		for out := 1; out <= 64; out++ {
			check(in, out)
		}
	}
	for _, p := range [][2]int{{640, 224}, {1920, 224}, {1, 4096}, {4096, 1}, {2, 364}} {
		check(p[0], p[1])
	}
}

func TestResizeRejectsBadInput(t *testing.T) {
	good := newRGB(4, 4)
	tests := []struct {
		name string
		src  *RGB
		w, h int
	}{
		{"nil source", nil, 4, 4},
		{"zero source", &RGB{}, 4, 4},
		{"short buffer", &RGB{W: 4, H: 4, Pix: make([]uint8, 10)}, 4, 4},
		{"zero width", good, 0, 4},
		{"negative height", good, 4, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Nil(t, ResizeBicubic(tc.src, tc.w, tc.h))
			var rs Resizer
			require.Error(t, rs.Resize(tc.src, tc.w, tc.h, &RGB{}))
		})
	}
	var rs Resizer
	require.Error(t, rs.Resize(good, 2, 2, nil))
	require.Error(t, rs.Resize(good, 2, 2, good))
}
