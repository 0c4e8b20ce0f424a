package cpu

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// LayerNorm normalises each row with float32 statistics, as PyTorch does.
func (b *Backend) LayerNorm(x *runtime.Tensor, weight, bias []float32, eps float32) *runtime.Tensor {
	out := b.tensor(x.Shape...)
	c := x.Cols()
	if c == 0 {
		return out
	}
	b.parallel(x.Rows(), 32, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.LayerNorm(x.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c], weight, bias, eps)
		}
	})
	return out
}

// RMSNorm is T5's layer norm: w·x/sqrt(mean(x²)+eps).
func (b *Backend) RMSNorm(x *runtime.Tensor, weight []float32, eps float32) *runtime.Tensor {
	out := b.tensor(x.Shape...)
	c := x.Cols()
	if c == 0 {
		return out
	}
	b.parallel(x.Rows(), 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, o := x.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c]
			ms := kernels.Dot(in, in) / float32(c)
			inv := float32(1 / math.Sqrt(float64(ms)+float64(eps)))
			w := weight[:c]
			for i, v := range in {
				o[i] = w[i] * (v * inv)
			}
		}
	})
	return out
}

// activate applies act to x in place on the calling goroutine.
func activate(x []float32, act runtime.Activation) {
	switch act {
	case runtime.ActIdentity:
	case runtime.ActReLU:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case runtime.ActGELU:
		kernels.GELU(x)
	case runtime.ActGELUTanh:
		kernels.GELUTanh(x)
	default:
		panic(fmt.Sprintf("cpu: unknown activation %d", act))
	}
}

// Activate applies act in place.
func (b *Backend) Activate(x *runtime.Tensor, act runtime.Activation) {
	if act == runtime.ActIdentity {
		return
	}
	b.parallelAligned(len(x.Data), 8192, 16, func(lo, hi int) { activate(x.Data[lo:hi], act) })
}

// AddInPlace does x += y.
func (b *Backend) AddInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	kernels.Axpy(1, y.Data, x.Data)
}

// MulInPlace does x *= y.
func (b *Backend) MulInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	yd := y.Data[:len(x.Data)]
	for i := range x.Data {
		x.Data[i] *= yd[i]
	}
}

func sameSize(x, y *runtime.Tensor) {
	if len(x.Data) != len(y.Data) {
		panic(fmt.Sprintf("cpu: element-wise op on shapes %v and %v", x.Shape, y.Shape))
	}
}
