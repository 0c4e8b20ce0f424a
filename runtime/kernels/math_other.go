//go:build (!amd64 && !arm64) || purego

package kernels

// Without assembly the element-wise math runs in Go and there is no peak loop.

func vecMax(_ isa, n int, x *float32) float32 { return maxGo(n, x) }
func vecExpShift(_ isa, n int, x *float32, shift float32) float32 {
	return expShiftGo(n, x, shift)
}
func vecGELU(_ isa, n int, x *float32)     { geluSliceGo(n, x) }
func vecGELUTanh(_ isa, n int, x *float32) { geluTanhSliceGo(n, x) }
func vecDequantize(_ isa, n int, q *int8, scale float32, dst *float32) {
	dequantizeGo(n, q, scale, dst)
}
func peakF32Loop(isa, int) (int, float64, float64)                               { return 0, 0, 0 }
func peakI8Loop(isa, int) (int, float64, float64)                                { return 0, 0, 0 }
func rowSoftmax(isa, []float32, float32) bool                                    { return false }
func rowLayerNorm(isa, []float32, []float32, []float32, []float32, float32) bool { return false }

func vecDequantI32(_ isa, n int, acc *int32, rs float32, cs, dst *float32, add bool) {
	dequantI32Go(n, acc, rs, cs, dst, add)
}

func rowSumI8(isa, []int8) (int, int32) { return 0, 0 }
