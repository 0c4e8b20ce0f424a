package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randQ4 makes n packed rows of k random nibbles (zeros in the padding, as the
// writer leaves it) and fp16 scales of about 1/64 (exact halves, built from bits).
func randQ4(rng *rand.Rand, n, k, g int) ([]uint8, []uint16) {
	rb, ng := Q4RowBytes(k, g), Q4Groups(k, g)
	w := make([]uint8, n*rb)
	for i := range n {
		for j := range ng * g {
			v := uint8(rng.IntN(16))
			if j >= k {
				v = 8
			}
			b := &w[i*rb+j/Q4Block*16+j%16]
			if j%Q4Block >= 16 {
				*b |= v << 4
			} else {
				*b |= v
			}
		}
	}
	s := make([]uint16, n*ng)
	for i := range s {
		s[i] = uint16(rng.IntN(1<<10)) | uint16(0x2000+rng.IntN(0x0c00)) // 2^-7..2^-5, either mantissa
		if rng.IntN(2) == 0 {
			s[i] |= 0x8000
		}
	}
	return w, s
}

// refQ4 is the product from the layout's definition (Q4Nibble, F16ToF32) in float64,
// with Σ|w·x| for the error bound.
func refQ4(n, k, g int, w []uint8, s []uint16, x []float32) (want, mag []float64) {
	rb, ng := Q4RowBytes(k, g), Q4Groups(k, g)
	want, mag = make([]float64, n), make([]float64, n)
	for i := range n {
		row := w[i*rb : (i+1)*rb]
		for j := range k {
			v := float64(F16ToF32(s[i*ng+j/g])) * float64(Q4Nibble(row, j)) * float64(x[j])
			want[i] += v
			mag[i] += math.Abs(v)
		}
	}
	return want, mag
}

func TestGemvQ4F32(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, g := range []int{32, 64, 128} {
		for _, k := range append(testK, 0, 2560, 2560+32) {
			for _, n := range []int{1, 2, 3, 5, 17} {
				w, s := randQ4(rng, n, k, g)
				x := randF32(rng, 1, k, k)
				want, mag := refQ4(n, k, g, w, s, x)
				for _, im := range available() {
					y := make([]float32, n+1)
					y[n] = 42
					im.gemvQ4F32(n, k, g, w, s, x, y[:n])
					for i := range n {
						tol := 1e-5*math.Sqrt(float64(max(k, 1)))*mag[i] + 1e-30
						require.InDelta(t, want[i], float64(y[i]), tol, "%s GemvQ4F32 g=%d n=%d k=%d row %d", im.name, g, n, k, i)
					}
					require.Equal(t, float32(42), y[n], "%s wrote past y", im.name)
				}
			}
		}
	}
}

func TestDequantizeQ4(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, g := range []int{32, 64} {
		for _, k := range []int{1, 15, 16, 17, 31, 32, 33, 64, 100, 257, 2560} {
			w, s := randQ4(rng, 1, k, g)
			for _, im := range available() {
				dst := make([]float32, k+1)
				dst[k] = 7
				im.dequantizeQ4(k, g, w, s, dst[:k])
				for j := range k {
					require.Equal(t, F16ToF32(s[j/g])*float32(Q4Nibble(w, j)), dst[j], "%s g=%d k=%d j=%d", im.name, g, k, j)
				}
				require.Equal(t, float32(7), dst[k])
			}
		}
	}
}

func TestQ4Shapes(t *testing.T) {
	w, s := randQ4(rand.New(rand.NewPCG(1, 2)), 2, 64, 64)
	x, y := make([]float32, 64), make([]float32, 2)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"group 48", func() { GemvQ4F32(2, 64, 48, w, s, x, y) }},
		{"short w", func() { GemvQ4F32(2, 64, 64, w[:40], s, x, y) }},
		{"short scales", func() { GemvQ4F32(2, 64, 64, w, s[:1], x, y) }},
		{"short x", func() { GemvQ4F32(2, 64, 64, w, s, x[:10], y) }},
	} {
		require.Panics(t, c.f, c.name)
	}
	require.NotPanics(t, func() { GemvQ4F32(2, 64, 64, w, s, x, y) })
	require.Equal(t, fmt.Sprint(F16ToF32(0x3c00), F16ToF32(0xc000), F16ToF32(0x0001)), fmt.Sprint(1, -2, math.Float32frombits(0x33800000)))
}
