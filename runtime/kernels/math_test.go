package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// mathInputs are lengths that cross the vector widths, with values over the range
// each function meets in a model (and beyond, to check the clamps).
var mathLens = []int{1, 7, 15, 16, 17, 31, 32, 33, 63, 197, 1000}

func randRange(rng *rand.Rand, n int, lo, hi float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return x
}

func relErr(got float32, want float64) float64 {
	return math.Abs(float64(got)-want) / math.Max(math.Abs(want), 1e-30)
}

func TestMaxAndExpShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range mathLens {
		for _, im := range available() {
			x := randRange(rng, n, -40, 40)
			want := math.Inf(-1)
			for _, v := range x {
				want = math.Max(want, float64(v))
			}
			require.Equal(t, float32(want), im.max(x), "%s max n=%d", im.name, n)

			shift := float32(want)
			y := append([]float32(nil), x...)
			sum := im.expShift(y, shift)
			var wantSum float64
			for i, v := range x {
				e := math.Exp(float64(v - shift)) // the float32 difference is the input
				wantSum += e
				require.Less(t, relErr(y[i], e), 1e-6, "%s exp(%g) n=%d", im.name, v-shift, n)
			}
			require.Less(t, relErr(sum, wantSum), 1e-5, "%s sum n=%d", im.name, n)
		}
	}
}

func TestExpRangeAndClamp(t *testing.T) {
	for _, im := range available() {
		var x []float32
		for v := -80.0; v <= 88; v += 0.37 {
			x = append(x, float32(v))
		}
		y := append([]float32(nil), x...)
		im.expShift(y, 0)
		for i, v := range x {
			require.Less(t, relErr(y[i], math.Exp(float64(v))), 1e-6, "%s exp(%g)", im.name, v)
		}
		// Beyond the clamps: finite, never NaN or Inf; far below gives (almost) zero.
		z := []float32{-1e30, -200, -80.5, 90, 200, float32(math.Inf(-1))}
		for len(z) < 16 {
			z = append(z, 0)
		}
		im.expShift(z, 0)
		for i, v := range z[:6] {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "%s clamp %d: %g", im.name, i, v)
		}
		// Below −80 the result is exactly 0: no denormals for the products downstream.
		require.Equal(t, []float32{0, 0, 0}, []float32{z[0], z[1], z[5]})
	}
}

func geluRef(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluTanhRef(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

func TestGELU(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range mathLens {
		for _, im := range available() {
			for _, tc := range []struct {
				name string
				f    func(*impl, []float32)
				ref  func(float64) float64
			}{{"gelu", (*impl).gelu, geluRef}, {"gelu_tanh", (*impl).geluTanh, geluTanhRef}} {
				x := randRange(rng, n, -6, 6)
				x[0] = 0
				y := append([]float32(nil), x...)
				tc.f(im, y)
				for i, v := range x {
					want := tc.ref(float64(v))
					// Relative where the value is not tiny; absolute (1e-7·|x|) in the far
					// negative tail, where the result underflows towards zero.
					tol := math.Max(2e-6*math.Abs(want), 1e-7*math.Abs(float64(v)))
					require.InDelta(t, want, float64(y[i]), tol+1e-30, "%s %s(%g) n=%d", im.name, tc.name, v, n)
				}
			}
		}
	}
	// Large magnitudes: identity on the right, (almost) zero on the left, never NaN.
	for _, im := range available() {
		x := []float32{100, -100, 1e20, -1e20, 30, -30, 9, -9, 0, 0, 0, 0, 0, 0, 0, 0}
		for _, f := range []func(*impl, []float32){(*impl).gelu, (*impl).geluTanh} {
			y := append([]float32(nil), x...)
			f(im, y)
			for i, v := range x[:8] {
				if v > 0 {
					require.InDelta(t, float64(v), float64(y[i]), 1e-6*float64(v), "%s gelu(%g)", im.name, v)
				} else {
					require.LessOrEqual(t, math.Abs(float64(y[i])), 1e-15*math.Abs(float64(v)), "%s gelu(%g)", im.name, v)
				}
			}
		}
	}
}

func TestDequantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range mathLens {
		q := randI8(rng, n)
		for _, im := range available() {
			dst := make([]float32, n+3)
			dst[n] = 42
			im.dequantize(q, 0.37, dst[:n])
			for i, v := range q {
				require.Equal(t, 0.37*float32(v), dst[i], "%s n=%d i=%d", im.name, n, i)
			}
			require.Equal(t, float32(42), dst[n], "%s wrote past n", im.name)
		}
	}
}

func TestPeakLoops(t *testing.T) {
	for _, im := range available() {
		for _, f := range []func(isa, int) (int, float64, float64){peakF32Loop, peakI8Loop} {
			per, got, want := f(im.isa, 1000)
			t.Logf("%s: %d ops per iteration", im.name, per)
			if per == 0 {
				continue
			}
			require.Equal(t, want, got, fmt.Sprintf("%s peak loop result", im.name))
		}
	}
	require.Zero(t, PeakF32(0))
}

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range mathLens {
		x := randRange(rng, n, -30, 30)
		want := make([]float64, n)
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, 0.3*float64(v))
		}
		var sum float64
		for i, v := range x {
			want[i] = math.Exp(0.3*float64(v) - m)
			sum += want[i]
		}
		for _, im := range available() {
			saved := active
			active = im // Softmax dispatches on active; the tests do not run in parallel
			y := append([]float32(nil), x...)
			Softmax(y, 0.3)
			active = saved
			for i := range y {
				// float32 arguments up to ~20 in magnitude: a few 1e-6 relative.
				require.InDelta(t, want[i]/sum, float64(y[i]), 5e-6*want[i]/sum+1e-30, "%s n=%d i=%d", im.name, n, i)
			}
		}
	}
}

func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 5, 16, 48, 192, 200, 1408} {
		x := randRange(rng, n, -3, 5)
		w, b := randRange(rng, n, 0.5, 1.5), randRange(rng, n, -1, 1)
		var mean, vr float64
		for _, v := range x {
			mean += float64(v)
		}
		mean /= float64(n)
		for _, v := range x {
			vr += (float64(v) - mean) * (float64(v) - mean)
		}
		inv := 1 / math.Sqrt(vr/float64(n)+1e-5)
		for _, im := range available() {
			saved := active
			active = im
			out := make([]float32, n+1)
			out[n] = 7
			LayerNorm(x, out[:n], w, b, 1e-5)
			plain := make([]float32, n)
			LayerNorm(x, plain, nil, nil, 1e-5)
			active = saved
			for i, v := range x {
				z := (float64(v) - mean) * inv
				require.InDelta(t, z*float64(w[i])+float64(b[i]), float64(out[i]), 2e-5, "%s n=%d i=%d", im.name, n, i)
				require.InDelta(t, z, float64(plain[i]), 2e-5, "%s n=%d i=%d (no affine)", im.name, n, i)
			}
			require.Equal(t, float32(7), out[n], "%s wrote past n", im.name)
		}
	}
}

// TestMaxSkipsNaN: a NaN after the maximum in the same vector lane (4, 8, 16 or 32
// elements later) must not make the lane forget it, in max and in Softmax's.
func TestMaxSkipsNaN(t *testing.T) {
	for _, n := range []int{16, 33, 48, 64, 100} {
		for p := range n {
			for _, d := range []int{4, 8, 16, 32} {
				if p+d >= n {
					continue
				}
				x := make([]float32, n)
				for i := range x {
					x[i] = -1
				}
				x[p] = 5
				x[p+d] = float32(math.NaN())
				for _, im := range available() {
					require.Equal(t, float32(5), im.max(x), "%s n=%d max at %d, NaN at %d", im.name, n, p, p+d)
					saved := active
					active = im
					y := append([]float32(nil), x...)
					Softmax(y, 1)
					active = saved
					require.InDelta(t, 1/(1+float64(n-2)*math.Exp(-6)), float64(y[p]), 5e-6, "%s n=%d softmax max at %d, NaN at %d", im.name, n, p, p+d)
					require.Zero(t, y[p+d], "%s softmax of NaN", im.name)
				}
			}
		}
	}
}
