package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Linear returns x·Wᵀ + bias. Work is split over output columns when there are few rows
// (decoding: every core streams its share of the weight once) and over rows otherwise.
func (b *Backend) Linear(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	w := l.W
	if x.Cols() != w.In {
		panic(fmt.Sprintf("cpu: linear of %d inputs on a [%d,%d] weight", x.Cols(), w.Out, w.In))
	}
	rows := x.Rows()
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), w.Out)
	out := runtime.NewTensor(shape...)
	switch {
	case w.Quantized() && w.ActInt8:
		b.linearW8A8(x.Data, rows, w, out.Data)
	case w.Quantized():
		b.linearW8(x.Data, rows, w, out.Data)
	default:
		b.linearF32(x.Data, rows, w, out.Data)
	}
	if l.Bias != nil {
		for r := 0; r < rows; r++ {
			row := out.Data[r*w.Out : (r+1)*w.Out]
			for i, v := range l.Bias {
				row[i] += v
			}
		}
	}
	return out
}

func (b *Backend) linearF32(x []float32, rows int, w *runtime.Weight, out []float32) {
	n, k := w.Out, w.In
	if rows < 4*b.threads {
		// Few rows (decoding): split the weight so each core streams its share once.
		b.parallel(n, 16, func(lo, hi int) {
			kernels.GemmNT(rows, hi-lo, k, x, k, w.F32[lo*k:], k, out[lo:], n, false)
		})
		return
	}
	b.parallel(rows, 4, func(lo, hi int) {
		kernels.GemmNT(hi-lo, n, k, x[lo*k:], k, w.F32, k, out[lo*n:], n, false)
	})
}

// linearW8 is weight-only int8: float activations against int8 rows and their scales.
func (b *Backend) linearW8(x []float32, rows int, w *runtime.Weight, out []float32) {
	n, k := w.Out, w.In
	b.parallel(n, 16, func(lo, hi int) {
		for r := 0; r < rows; r++ {
			kernels.GemvI8F32(hi-lo, k, w.I8[lo*k:], k, w.Scales[lo:hi], x[r*k:(r+1)*k], out[r*n+lo:r*n+hi])
		}
	})
}

// linearW8A8 quantizes each activation row symmetrically, multiplies in int8 with int32
// accumulation, and scales the result by both scales.
func (b *Backend) linearW8A8(x []float32, rows int, w *runtime.Weight, out []float32) {
	n, k := w.Out, w.In
	qx := make([]int8, rows*k)
	sx := make([]float32, rows)
	acc := make([]int32, rows*n)
	b.parallel(rows, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			sx[r] = kernels.QuantizeRowSymmetric(x[r*k:(r+1)*k], qx[r*k:(r+1)*k])
		}
	})
	if rows < 4*b.threads {
		b.parallel(n, 16, func(lo, hi int) {
			kernels.GemmI8NT(rows, hi-lo, k, qx, k, w.I8[lo*k:], k, acc[lo:], n)
		})
	} else {
		b.parallel(rows, 4, func(lo, hi int) {
			kernels.GemmI8NT(hi-lo, n, k, qx[lo*k:], k, w.I8, k, acc[lo*n:], n)
		})
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < n; j++ {
			out[r*n+j] = sx[r] * w.Scales[j] * float32(acc[r*n+j])
		}
	}
}
