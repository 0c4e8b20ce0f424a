package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
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
		// Split the weight: each goroutine reads a disjoint block of output rows once.
		b.parallel(n, 16, func(lo, hi int) {
			gemmNT(rows, hi-lo, k, x, k, w.F32[lo*k:], k, out[lo:], n)
		})
		return
	}
	b.parallel(rows, 4, func(lo, hi int) {
		gemmNT(hi-lo, n, k, x[lo*k:], k, w.F32, k, out[lo*n:], n)
	})
}

func (b *Backend) linearW8(x []float32, rows int, w *runtime.Weight, out []float32) {
	n, k := w.Out, w.In
	b.parallel(n, 16, func(lo, hi int) {
		for r := 0; r < rows; r++ {
			xr := x[r*k : (r+1)*k]
			o := out[r*n:]
			for j := lo; j < hi; j++ {
				o[j] = w.Scales[j] * dotI8F32(w.I8[j*k:(j+1)*k], xr)
			}
		}
	})
}

func (b *Backend) linearW8A8(x []float32, rows int, w *runtime.Weight, out []float32) {
	n, k := w.Out, w.In
	qx := make([]int8, rows*k)
	sx := make([]float32, rows)
	b.parallel(rows, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			sx[r] = quantizeRow(x[r*k:(r+1)*k], qx[r*k:(r+1)*k])
		}
	})
	b.parallel(n, 16, func(lo, hi int) {
		for r := 0; r < rows; r++ {
			xr := qx[r*k : (r+1)*k]
			o := out[r*n:]
			for j := lo; j < hi; j++ {
				o[j] = sx[r] * w.Scales[j] * float32(dotI8(w.I8[j*k:(j+1)*k], xr))
			}
		}
	})
}
