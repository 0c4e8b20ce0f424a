package kernels

import (
	"math"
	"unsafe"
)

// Element-wise float32 math for softmax and the GELU activations, vectorised on
// AVX-512, AVX2+FMA and NEON (the portable set runs the Go versions below, which
// compute the same formulas one element at a time).
//
// exp: 0 below −80 (so that no denormal reaches the products downstream: they are
// slow, and e^−80 ≈ 2e-35 is below anything a softmax weight or GELU tail needs),
// x clamped to at most 88, n = round(x·log₂e), r = x − n·ln2 (two-part
// constant), exp(r) by its Taylor series to r⁷/7!, then scaled by 2ⁿ through the
// exponent bits. Relative error ≈ 2e-7 (float32 rounding; the truncation is 5e-9).
//
// The exact GELU is x·(1 + erf(z))/2 with z = x/√2, as PyTorch computes it, and
// erf(z) = z·P(z²)/Q(z²) for z clamped to [−4, 4] (beyond, erf is ±1 in float32),
// at least −1: a rational fit with P of degree 6 and Q of degree 5 in z²
// (scripts/erf-fit.py; 1.8e-9 from erf in exact arithmetic, a few float32 ulps as
// evaluated). Eleven FMAs and a division, no exp: a third of the time of the erfc
// form (t·exp(−z² + P(t)), Numerical Recipes' fit) used before. Near erf = −1 (x
// below about −3) the sum 1 + erf cancels, as it does in PyTorch: the result is then
// within 2.5e-7·|x| of the exact one, not relative.
//
// The tanh GELU uses 0.5·x·(1+tanh(u)) = x/(1+exp(−2u)).

const (
	expLo    = -80 // below: exactly 0
	expHi    = 88
	log2e    = 1.44269504088896341
	ln2Hi    = 0.693359375 // ln 2 split so that n·ln2Hi is exact
	ln2Lo    = -2.12194440e-4
	roundMag = 12582912 // 1.5·2²³: adding and subtracting it rounds to an integer
)

// Coefficients of erf's rational fit, lowest degree first (the amd64 and NEON kernels
// hold the same float32 bits).
var (
	erfP = [7]float32{1.1283792, 0.18471941, 0.054366726, 0.0038443978, 0.00038415496, 4.8182146e-06, -1.3858128e-08}
	erfQ = [6]float32{1, 0.49703684, 0.11385926, 0.015468002, 0.0013125779, 6.437118e-05}
)

// GELU applies 0.5·x·(1+erf(x/√2)) in place (PyTorch's exact GELU).
func GELU(x []float32) { active.gelu(x) }

// GELUTanh applies 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))) in place ("gelu_new").
func GELUTanh(x []float32) { active.geluTanh(x) }

// Dequantize writes dst[i] = scale·q[i]. dst must hold at least len(q) elements.
func Dequantize(q []int8, scale float32, dst []float32) {
	checkLen("Dequantize", "dst", len(dst), len(q))
	active.dequantize(q, scale, dst)
}

func (im *impl) max(x []float32) float32 {
	n := len(x)
	n0 := n - n%im.vecLen
	m := float32(math.Inf(-1))
	if n0 > 0 {
		m = vecMax(im.isa, n0, &x[0])
	}
	for _, v := range x[n0:] {
		if v > m || m != m {
			m = v
		}
	}
	return m
}

func (im *impl) expShift(x []float32, shift float32) float32 {
	n := len(x)
	n0 := n - n%im.vecLen
	var s float32
	if n0 > 0 {
		s = vecExpShift(im.isa, n0, &x[0], shift)
	}
	for i := n0; i < n; i++ {
		e := expGo(x[i] - shift)
		x[i] = e
		s += e
	}
	return s
}

func (im *impl) gelu(x []float32) {
	n := len(x)
	n0 := n - n%im.vecLen
	if n0 > 0 {
		vecGELU(im.isa, n0, &x[0])
	}
	for i := n0; i < n; i++ {
		x[i] = geluGo(x[i])
	}
}

func (im *impl) geluTanh(x []float32) {
	n := len(x)
	n0 := n - n%im.vecLen
	if n0 > 0 {
		vecGELUTanh(im.isa, n0, &x[0])
	}
	for i := n0; i < n; i++ {
		x[i] = geluTanhGo(x[i])
	}
}

func (im *impl) dequantize(q []int8, scale float32, dst []float32) {
	n := len(q)
	n0 := n - n%im.vecLen
	if n0 > 0 {
		vecDequantize(im.isa, n0, &q[0], scale, &dst[0])
	}
	for i := n0; i < n; i++ {
		dst[i] = scale * float32(q[i])
	}
}

// expGo is the scalar form of the exp every primitive computes.
func expGo(x float32) float32 {
	if !(x >= expLo) { // NaN included, as the vector compare does
		return 0
	}
	x = min(x, expHi)
	n := (x*log2e + roundMag) - roundMag
	r := x - n*ln2Hi
	r -= n * ln2Lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(n))<<23)
}

// erfcGo is erfc(z) for z ≥ 0.
// erfGo is erf's rational fit (see the top of this file).
func erfGo(z float32) float32 {
	z = min(max(z, -4), 4)
	z2 := z * z
	p := erfP[6]
	for i := 5; i >= 0; i-- {
		p = p*z2 + erfP[i]
	}
	q := erfQ[5]
	for i := 4; i >= 0; i-- {
		q = q*z2 + erfQ[i]
	}
	return max(z*p/q, -1)
}

func geluGo(x float32) float32 {
	return x * (0.5*erfGo(x*(1/math.Sqrt2)) + 0.5)
}

func geluTanhGo(x float32) float32 {
	u := float32(math.Sqrt(2/math.Pi)) * (x + 0.044715*x*x*x)
	return x / (1 + expGo(-2*u))
}

func maxGo(n int, x *float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range unsafe.Slice(x, n) {
		if v > m || m != m {
			m = v
		}
	}
	return m
}

func expShiftGo(n int, x *float32, shift float32) float32 {
	var s float32
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		e := expGo(v - shift)
		xs[i] = e
		s += e
	}
	return s
}

func geluSliceGo(n int, x *float32) {
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		xs[i] = geluGo(v)
	}
}

func geluTanhSliceGo(n int, x *float32) {
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		xs[i] = geluTanhGo(v)
	}
}

func dequantizeGo(n int, q *int8, scale float32, dst *float32) {
	d := unsafe.Slice(dst, n)
	for i, v := range unsafe.Slice(q, n) {
		d[i] = scale * float32(v)
	}
}

// Softmax replaces x with softmax(scale·x), computed in float32 with this package's
// exp; x must not be empty.
func Softmax(x []float32, scale float32) {
	if len(x) == 0 {
		panic("kernels.Softmax: empty slice")
	}
	// The one-primitive softmaxes subtract scale·max(x), which is max(scale·x) only
	// for a positive scale.
	if scale > 0 && rowSoftmax(active.isa, x, scale) {
		return
	}
	if scale != 1 {
		active.scale(scale, x)
	}
	s := active.expShift(x, active.max(x))
	active.scale(1/s, x)
}

// LayerNorm writes (x − mean)/sqrt(var + eps)·w + b into out, over one row, with
// float32 statistics (PyTorch's); w and b may be nil (no affine transform).
func LayerNorm(x, out, w, b []float32, eps float32) {
	n := len(x)
	checkLen("LayerNorm", "out", len(out), n)
	if n == 0 {
		return
	}
	if w != nil && b != nil {
		checkLen("LayerNorm", "w", len(w), n)
		checkLen("LayerNorm", "b", len(b), n)
		if rowLayerNorm(active.isa, x, out, w, b, eps) {
			return
		}
	}
	layerNormGo(x, out[:n], w, b, eps)
}

func layerNormGo(x, out, w, b []float32, eps float32) {
	var sum float32
	for _, v := range x {
		sum += v
	}
	mean := sum / float32(len(x))
	var ss float32
	for i, v := range x {
		d := v - mean
		out[i] = d
		ss += d * d
	}
	inv := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	for i, d := range out {
		y := d * inv
		if w != nil {
			y *= w[i]
		}
		if b != nil {
			y += b[i]
		}
		out[i] = y
	}
}

// DequantizeI32 turns int32 accumulators of an int8 product row back into floats:
// dst[j] = rowScale·colScales[j]·acc[j], or dst[j] += that with accumulate set.
func DequantizeI32(acc []int32, rowScale float32, colScales, dst []float32, accumulate bool) {
	n := len(acc)
	checkLen("DequantizeI32", "colScales", len(colScales), n)
	checkLen("DequantizeI32", "dst", len(dst), n)
	n0 := n - n%active.vecLen
	if n0 > 0 {
		vecDequantI32(active.isa, n0, &acc[0], rowScale, &colScales[0], &dst[0], accumulate)
	}
	if n0 < n {
		dequantI32Go(n-n0, &acc[n0], rowScale, &colScales[n0], &dst[n0], accumulate)
	}
}

func dequantI32Go(n int, acc *int32, rs float32, cs, dst *float32, add bool) {
	a, c, d := unsafe.Slice(acc, n), unsafe.Slice(cs, n), unsafe.Slice(dst, n)
	for j, v := range a {
		y := c[j] * rs * float32(v)
		if add {
			y += d[j]
		}
		d[j] = y
	}
}
