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
	t := task{x: data(x), out: data(out), gain: weight, bias: bias, eps: eps, k: c}
	b.parallel(x.Rows(), 32, layerNormRows, &t)
	return out
}

func layerNormRows(t *task, lo, hi int) {
	c := t.k
	for r := lo; r < hi; r++ {
		kernels.LayerNorm(t.x[r*c:(r+1)*c], t.out[r*c:(r+1)*c], t.gain, t.bias, t.eps)
	}
}

// RMSNorm is T5's layer norm: w·x/sqrt(mean(x²)+eps).
func (b *Backend) RMSNorm(x *runtime.Tensor, weight []float32, eps float32) *runtime.Tensor {
	out := b.tensor(x.Shape...)
	c := x.Cols()
	if c == 0 {
		return out
	}
	t := task{x: data(x), out: data(out), gain: weight, eps: eps, k: c}
	b.parallel(x.Rows(), 16, rmsNormRows, &t)
	return out
}

func rmsNormRows(t *task, lo, hi int) {
	c := t.k
	for r := lo; r < hi; r++ {
		in, o := t.x[r*c:(r+1)*c], t.out[r*c:(r+1)*c]
		ms := kernels.Dot(in, in) / float32(c)
		inv := float32(1 / math.Sqrt(float64(ms)+float64(t.eps)))
		w := t.gain[:c]
		for i, v := range in {
			o[i] = w[i] * (v * inv)
		}
	}
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
	t := task{x: data(x), act: act}
	b.parallelAligned(len(t.x), 8192, 16, activateChunk, &t)
}

func activateChunk(t *task, lo, hi int) { activate(t.x[lo:hi], t.act) }

// AddInPlace does x += y.
func (b *Backend) AddInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	kernels.Axpy(1, data(y), data(x))
}

// MulInPlace does x *= y.
func (b *Backend) MulInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	xd := data(x)
	yd := data(y)[:len(xd)]
	for i := range xd {
		xd[i] *= yd[i]
	}
}

func sameSize(x, y *runtime.Tensor) {
	if x.Numel() != y.Numel() {
		panic(fmt.Sprintf("cpu: element-wise op on shapes %v and %v", x.Shape, y.Shape))
	}
}
