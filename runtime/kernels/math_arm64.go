//go:build !purego

package kernels

// The element-wise math on NEON (math_arm64.s), for both arm64 sets: the math
// uses no dot-product instruction. Lengths are multiples of 4 (vecLen) unless said.

//go:noescape
func maxNEON(n int, x *float32) float32

//go:noescape
func expShiftNEON(n int, x *float32, shift float32) float32

//go:noescape
func geluNEON(n int, x *float32)

//go:noescape
func geluTanhNEON(n int, x *float32)

//go:noescape
func dequantizeNEON(n int, q *int8, scale float32, dst *float32)

//go:noescape
func dequantI32NEON(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)

//go:noescape
func softmaxNEON(n int, x *float32, scale float32)

//go:noescape
func layerNormNEON(n int, x, out, w, b *float32, eps float32)

func vecMax(s isa, n int, x *float32) float32 {
	if simd(s) {
		return maxNEON(n, x)
	}
	return maxGo(n, x)
}

func vecExpShift(s isa, n int, x *float32, shift float32) float32 {
	if simd(s) {
		return expShiftNEON(n, x, shift)
	}
	return expShiftGo(n, x, shift)
}

func vecGELU(s isa, n int, x *float32) {
	if simd(s) {
		geluNEON(n, x)
		return
	}
	geluSliceGo(n, x)
}

func vecGELUTanh(s isa, n int, x *float32) {
	if simd(s) {
		geluTanhNEON(n, x)
		return
	}
	geluTanhSliceGo(n, x)
}

func vecDequantize(s isa, n int, q *int8, scale float32, dst *float32) {
	if simd(s) {
		dequantizeNEON(n, q, scale, dst)
		return
	}
	dequantizeGo(n, q, scale, dst)
}

func vecDequantI32(s isa, n int, acc *int32, rs float32, cs, dst *float32, add bool) {
	if simd(s) {
		dequantI32NEON(n, acc, rs, cs, dst, add)
		return
	}
	dequantI32Go(n, acc, rs, cs, dst, add)
}

// rowSoftmax runs the whole softmax in one primitive (any length, scale > 0) and
// says whether it did.
func rowSoftmax(s isa, x []float32, scale float32) bool {
	if !simd(s) {
		return false
	}
	softmaxNEON(len(x), &x[0], scale)
	return true
}

// rowLayerNorm runs the affine layer norm in one primitive where the length is a
// multiple of 4, and says whether it did.
func rowLayerNorm(s isa, x, out, w, b []float32, eps float32) bool {
	if !simd(s) || len(x)%4 != 0 {
		return false
	}
	layerNormNEON(len(x), &x[0], &out[0], &w[0], &b[0], eps)
	return true
}

// arm64 has no peak loops (PeakF32 and PeakI8 return 0) and no VNNI row sums.
func peakF32Loop(isa, int) (int, float64, float64) { return 0, 0, 0 }
func peakI8Loop(isa, int) (int, float64, float64)  { return 0, 0, 0 }
func rowSumI8(isa, []int8) (int, int32)            { return 0, 0 }
