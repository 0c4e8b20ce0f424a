//go:build !purego

package kernels

//go:noescape
func maxAVX512(n int, x *float32) float32

//go:noescape
func expShiftAVX512(n int, x *float32, shift float32) float32

//go:noescape
func geluAVX512(n int, x *float32)

//go:noescape
func geluTanhAVX512(n int, x *float32)

//go:noescape
func dequantizeAVX512(n int, q *int8, scale float32, dst *float32)

//go:noescape
func maxAVX2(n int, x *float32) float32

//go:noescape
func expShiftAVX2(n int, x *float32, shift float32) float32

//go:noescape
func geluAVX2(n int, x *float32)

//go:noescape
func geluTanhAVX2(n int, x *float32)

//go:noescape
func dequantizeAVX2(n int, q *int8, scale float32, dst *float32)

//go:noescape
func fmaPeakAVX512(iters int, out *[16]float32)

//go:noescape
func vnniPeakAVX512(iters int, out *[16]int32)

//go:noescape
func fmaPeakAVX2(iters int, out *[8]float32)

// The element-wise math: AVX-512 in math_amd64.s, AVX2+FMA in math_avx2_amd64.s
// (lengths multiples of the set's vecLen).

func vecMax(s isa, n int, x *float32) float32 {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		return maxAVX2(n, x)
	case isaAVX512, isaAVX512VNNI:
		return maxAVX512(n, x)
	}
	return maxGo(n, x)
}

func vecExpShift(s isa, n int, x *float32, shift float32) float32 {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		return expShiftAVX2(n, x, shift)
	case isaAVX512, isaAVX512VNNI:
		return expShiftAVX512(n, x, shift)
	}
	return expShiftGo(n, x, shift)
}

func vecGELU(s isa, n int, x *float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		geluAVX2(n, x)
	case isaAVX512, isaAVX512VNNI:
		geluAVX512(n, x)
	default:
		geluSliceGo(n, x)
	}
}

func vecGELUTanh(s isa, n int, x *float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		geluTanhAVX2(n, x)
	case isaAVX512, isaAVX512VNNI:
		geluTanhAVX512(n, x)
	default:
		geluTanhSliceGo(n, x)
	}
}

func vecDequantize(s isa, n int, q *int8, scale float32, dst *float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		dequantizeAVX2(n, q, scale, dst)
	case isaAVX512, isaAVX512VNNI:
		dequantizeAVX512(n, q, scale, dst)
	default:
		dequantizeGo(n, q, scale, dst)
	}
}

// peakF32Loop runs the FMA loop and returns the operations per iteration, with what
// the loop computed (lane 0) and what it should have: a check that it really ran.
func peakF32Loop(s isa, iters int) (perIter int, got, want float64) {
	switch s {
	case isaAVX512, isaAVX512VNNI:
		var out [16]float32
		fmaPeakAVX512(iters, &out)
		return 24 * 16 * 2, float64(out[15]), 24 * float64(iters)
	case isaAVX2, isaAVX2VNNI:
		var out [8]float32
		fmaPeakAVX2(iters, &out)
		return 12 * 8 * 2, float64(out[7]), 12 * float64(iters)
	}
	return 0, 0, 0
}

func peakI8Loop(s isa, iters int) (perIter int, got, want float64) {
	if s != isaAVX512VNNI {
		return 0, 0, 0
	}
	var out [16]int32
	vnniPeakAVX512(iters, &out)
	return 24 * 16 * 4 * 2, float64(out[15]), 96 * float64(iters)
}

//go:noescape
func softmaxAVX512(n int, x *float32, scale float32)

//go:noescape
func layerNormAVX512(n int, x, out, w, b *float32, eps float32)

//go:noescape
func softmaxAVX2(n int, x *float32, scale float32)

//go:noescape
func layerNormAVX2(n int, x, out, w, b *float32, eps float32)

// rowSoftmax runs the whole softmax in one primitive (any length, scale > 0) and
// says whether it did.
func rowSoftmax(s isa, x []float32, scale float32) bool {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		softmaxAVX2(len(x), &x[0], scale)
	case isaAVX512, isaAVX512VNNI:
		softmaxAVX512(len(x), &x[0], scale)
	default:
		return false
	}
	return true
}

// rowLayerNorm runs the affine layer norm in one primitive where the length is a
// multiple of the vector width, and says whether it did.
func rowLayerNorm(s isa, x, out, w, b []float32, eps float32) bool {
	switch {
	case (s == isaAVX2 || s == isaAVX2VNNI) && len(x)%8 == 0:
		layerNormAVX2(len(x), &x[0], &out[0], &w[0], &b[0], eps)
	case (s == isaAVX512 || s == isaAVX512VNNI) && len(x)%16 == 0:
		layerNormAVX512(len(x), &x[0], &out[0], &w[0], &b[0], eps)
	default:
		return false
	}
	return true
}

//go:noescape
func dequantI32AVX512(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)

//go:noescape
func dequantI32AVX2(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)

//go:noescape
func rowSumVNNI(n int, a *int8) int32

func vecDequantI32(s isa, n int, acc *int32, rs float32, cs, dst *float32, add bool) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		dequantI32AVX2(n, acc, rs, cs, dst, add)
	case isaAVX512, isaAVX512VNNI:
		dequantI32AVX512(n, acc, rs, cs, dst, add)
	default:
		dequantI32Go(n, acc, rs, cs, dst, add)
	}
}

// rowSumI8 returns how many leading elements of a it summed (a multiple of 64) and
// their sum.
func rowSumI8(s isa, a []int8) (int, int32) {
	if s != isaAVX512VNNI {
		return 0, 0
	}
	n := len(a) &^ 63
	if n == 0 {
		return 0, 0
	}
	return n, rowSumVNNI(n, &a[0])
}
