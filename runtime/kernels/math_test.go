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

// geluTail bounds the GELU's absolute error relative to |x| where 1 + erf cancels
// (x below about −3): a few float32 ulps of erf near −1, as in PyTorch's own
// 0.5·x·(1 + erf(x/√2)).
const geluTail = 2.5e-7

func TestGELU(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range mathLens {
		for _, im := range available() {
			for _, tc := range []struct {
				name string
				f    func(*impl, []float32)
				ref  func(float64) float64
				tail float64
			}{{"gelu", (*impl).gelu, geluRef, geluTail}, {"gelu_tanh", (*impl).geluTanh, geluTanhRef, 1e-7}} {
				x := randRange(rng, n, -6, 6)
				x[0] = 0
				y := append([]float32(nil), x...)
				tc.f(im, y)
				for i, v := range x {
					want := tc.ref(float64(v))
					// Relative where the value is not tiny; absolute (2.5e-7·|x|) in the
					// negative tail, where 1 + erf cancels (math.go) and the result
					// underflows towards zero.
					tol := math.Max(2e-6*math.Abs(want), tc.tail*math.Abs(float64(v)))
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

// allLens are every length up to 1000: every tail of every vector width, and rows
// longer than the unrolled loops.
func allLens() []int {
	n := make([]int, 1000)
	for i := range n {
		n[i] = i + 1
	}
	return n
}

// mathSpecials are put among the random inputs of the element-wise kernels: zeros,
// the clamps and just past them, huge and infinite values, NaN.
var mathSpecials = []float32{0, float32(math.Copysign(0, -1)), -80, -80.001, 88, 88.5, -88, 9.5, -9.5,
	14.2, -14.2, 30, -30, 1e20, -1e20, float32(math.MaxFloat32), -float32(math.MaxFloat32),
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}

// sprinkle puts about one special value in every 8 elements, at random places.
func sprinkle(rng *rand.Rand, x []float32) {
	for range len(x)/8 + 1 {
		x[rng.IntN(len(x))] = mathSpecials[rng.IntN(len(mathSpecials))]
	}
}

// requireLikePortable checks one element of a SIMD kernel against the portable
// kernel: NaN where it gives NaN, the same infinity, and within tol otherwise.
func requireLikePortable(t *testing.T, want, got float32, tol float64, format string, args ...any) {
	t.Helper()
	w, g := float64(want), float64(got)
	msg := fmt.Sprintf(format, args...)
	switch {
	case math.IsNaN(w):
		require.True(t, math.IsNaN(g), "got %g, portable NaN: %s", g, msg)
	case math.IsInf(w, 0):
		require.Equal(t, w, g, msg)
	default:
		require.InDelta(t, w, g, tol, msg)
	}
}

// TestMathLikePortable runs every SIMD set's element-wise kernels over every length
// from 1 to 1000 with special values among the inputs and compares them with the
// portable kernels, which compute the same formulas one element at a time:
// the tolerances are those the float64 references allow the kernels.
func TestMathLikePortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, im := range available()[1:] {
		for _, n := range allLens() {
			// GELU and tanh GELU.
			x := randRange(rng, n, -10, 10)
			sprinkle(rng, x)
			for _, tc := range []struct {
				name string
				f    func(*impl, []float32)
				ref  func(float32) float32
				tail float64
			}{{"gelu", (*impl).gelu, geluGo, geluTail}, {"gelu_tanh", (*impl).geluTanh, geluTanhGo, 1e-7}} {
				y := append([]float32(nil), x...)
				tc.f(im, y)
				for i, v := range x {
					want := tc.ref(v)
					tol := math.Max(2e-6*math.Abs(float64(want)), tc.tail*math.Abs(float64(v))) + 1e-30
					requireLikePortable(t, want, y[i], tol, "%s %s(%g) n=%d i=%d", im.name, tc.name, v, n, i)
				}
			}

			// exp(x − shift) and its sum.
			x = randRange(rng, n, -90, 90)
			sprinkle(rng, x)
			y := append([]float32(nil), x...)
			sum := im.expShift(y, 0.5)
			var wantSum float64
			for i, v := range x {
				want := expGo(v - 0.5)
				wantSum += float64(want)
				if want == 0 {
					require.Zero(t, y[i], "%s exp(%g) n=%d i=%d", im.name, v-0.5, n, i)
					continue
				}
				require.Less(t, relErr(y[i], float64(want)), 1e-6, "%s exp(%g) n=%d i=%d", im.name, v-0.5, n, i)
			}
			if wantSum > math.MaxFloat32 { // several exp(88)
				require.True(t, math.IsInf(float64(sum), 1), "%s exp sum n=%d: %g", im.name, n, sum)
			} else {
				require.Less(t, relErr(sum, wantSum), 1e-5, "%s exp sum n=%d", im.name, n)
			}

			// Maximum: NaN elements are skipped.
			require.Equal(t, math.Float32bits(maxGo(n, &x[0])), math.Float32bits(im.max(x)), "%s max n=%d", im.name, n)

			// int8 → float32.
			q := randI8(rng, n)
			d := make([]float32, n+1)
			d[n] = 42
			im.dequantize(q, -0.0173, d[:n])
			for i, v := range q {
				require.Equal(t, -0.0173*float32(v), d[i], "%s dequantize n=%d i=%d", im.name, n, i)
			}
			require.Equal(t, float32(42), d[n], "%s dequantize wrote past n", im.name)
		}
	}
}

func TestDequantizeI32(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, n := range allLens() {
		acc := make([]int32, n)
		for i := range acc {
			acc[i] = int32(rng.IntN(1<<22) - 1<<21)
		}
		cs := randRange(rng, n, -0.01, 0.01)
		d0 := randRange(rng, n, -100, 100)
		for _, im := range available() {
			for _, add := range []bool{false, true} {
				saved := active
				active = im
				d := append(append([]float32(nil), d0...), 42)
				DequantizeI32(acc, 0.0371, cs, d[:n], add)
				active = saved
				for j, v := range acc {
					want := float64(cs[j]) * 0.0371 * float64(v)
					mag := math.Abs(want)
					if add {
						want += float64(d0[j])
						mag += math.Abs(float64(d0[j]))
					}
					require.InDelta(t, want, float64(d[j]), 3e-7*mag+1e-30, "%s add=%v n=%d j=%d", im.name, add, n, j)
				}
				require.Equal(t, float32(42), d[n], "%s wrote past n", im.name)
			}
		}
	}
}

// TestSoftmaxLikeReference: every length to 1000, a negative scale (the generic
// path), and rows with NaN and −Inf elements, which give 0 as in the portable code.
func TestSoftmaxLikeReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range allLens() {
		x := randRange(rng, n, -30, 30)
		scale := float32(0.125)
		if n%5 == 0 {
			scale = -0.7
		}
		// NaN and −Inf elements with a positive scale; not every element, the last
		// stays finite.
		if n%3 == 0 && n > 1 && scale > 0 {
			for range n/8 + 1 {
				i := rng.IntN(n - 1)
				x[i] = []float32{float32(math.NaN()), float32(math.Inf(-1))}[rng.IntN(2)]
			}
		}
		want := make([]float64, n)
		m := math.Inf(-1)
		for _, v := range x {
			if !math.IsNaN(float64(v)) {
				m = math.Max(m, float64(scale)*float64(v))
			}
		}
		var sum float64
		for i, v := range x {
			if !math.IsNaN(float64(v)) {
				want[i] = math.Exp(float64(scale)*float64(v) - m)
			}
			sum += want[i]
		}
		for _, im := range available() {
			saved := active
			active = im
			y := append(append([]float32(nil), x...), 42)
			Softmax(y[:n], scale)
			active = saved
			for i := range n {
				if want[i] == 0 {
					require.Zero(t, y[i], "%s n=%d i=%d x=%g", im.name, n, i, x[i])
					continue
				}
				require.InDelta(t, want[i]/sum, float64(y[i]), 5e-6*want[i]/sum+1e-30, "%s n=%d i=%d scale=%g", im.name, n, i, scale)
			}
			require.Equal(t, float32(42), y[n], "%s wrote past n", im.name)
		}
	}
}

func TestLayerNormLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for n := 1; n <= 1000; n += 1 + n/16 {
		for _, m := range []int{n, n - n%4, n - n%8, n - n%16} {
			if m == 0 {
				continue
			}
			x := randRange(rng, m, -50, 70)
			w, b := randRange(rng, m, -2, 2), randRange(rng, m, -1, 1)
			var mean, vr float64
			for _, v := range x {
				mean += float64(v)
			}
			mean /= float64(m)
			for _, v := range x {
				vr += (float64(v) - mean) * (float64(v) - mean)
			}
			inv := 1 / math.Sqrt(vr/float64(m)+1e-6)
			for _, im := range available() {
				saved := active
				active = im
				out := make([]float32, m+1)
				out[m] = 7
				LayerNorm(x, out[:m], w, b, 1e-6)
				active = saved
				for i, v := range x {
					z := (float64(v) - mean) * inv
					require.InDelta(t, z*float64(w[i])+float64(b[i]), float64(out[i]), 2e-5*(1+math.Abs(float64(w[i]))), "%s n=%d i=%d", im.name, m, i)
				}
				require.Equal(t, float32(7), out[m], "%s wrote past n", im.name)
			}
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
