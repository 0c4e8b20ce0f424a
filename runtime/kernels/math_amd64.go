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
func fmaPeakAVX512(iters int, out *[16]float32)

//go:noescape
func vnniPeakAVX512(iters int, out *[16]int32)

//go:noescape
func fmaPeakAVX2(iters int, out *[8]float32)

// The element-wise math has AVX-512 versions only; AVX2 CPUs run the Go ones.

func avx512Math(s isa) bool { return s == isaAVX512 || s == isaAVX512VNNI }

func vecMax(s isa, n int, x *float32) float32 {
	if avx512Math(s) {
		return maxAVX512(n, x)
	}
	return maxGo(n, x)
}

func vecExpShift(s isa, n int, x *float32, shift float32) float32 {
	if avx512Math(s) {
		return expShiftAVX512(n, x, shift)
	}
	return expShiftGo(n, x, shift)
}

func vecGELU(s isa, n int, x *float32) {
	if avx512Math(s) {
		geluAVX512(n, x)
		return
	}
	geluSliceGo(n, x)
}

func vecGELUTanh(s isa, n int, x *float32) {
	if avx512Math(s) {
		geluTanhAVX512(n, x)
		return
	}
	geluTanhSliceGo(n, x)
}

func vecDequantize(s isa, n int, q *int8, scale float32, dst *float32) {
	if avx512Math(s) {
		dequantizeAVX512(n, q, scale, dst)
		return
	}
	dequantizeGo(n, q, scale, dst)
}

// peakF32Loop runs the FMA loop and returns the operations per iteration, with what
// the loop computed (lane 0) and what it should have: a check that it really ran.
func peakF32Loop(s isa, iters int) (perIter int, got, want float64) {
	switch s {
	case isaAVX512, isaAVX512VNNI:
		var out [16]float32
		fmaPeakAVX512(iters, &out)
		return 24 * 16 * 2, float64(out[15]), 24 * float64(iters)
	case isaAVX2:
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

func rowSoftmax(s isa, x []float32, scale float32) bool {
	if !avx512Math(s) {
		return false
	}
	softmaxAVX512(len(x), &x[0], scale)
	return true
}

func rowLayerNorm(s isa, x, out, w, b []float32, eps float32) bool {
	if !avx512Math(s) || len(x)%16 != 0 {
		return false
	}
	layerNormAVX512(len(x), &x[0], &out[0], &w[0], &b[0], eps)
	return true
}

//go:noescape
func dequantI32AVX512(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)

//go:noescape
func rowSumVNNI(n int, a *int8) int32

func vecDequantI32(s isa, n int, acc *int32, rs float32, cs, dst *float32, add bool) {
	if avx512Math(s) {
		dequantI32AVX512(n, acc, rs, cs, dst, add)
		return
	}
	dequantI32Go(n, acc, rs, cs, dst, add)
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
