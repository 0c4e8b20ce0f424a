package cuda

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
)

// The operations of runtime.Backend: inputs are device tensors, results are new device
// tensors (or the input, for the in-place ones); nothing is copied to the host.

// linearShape checks the shapes of a linear layer and returns its result's shape.
func linearShape(x *runtime.Tensor, l runtime.Linear) []int {
	w := l.W
	if x.Cols() != w.In {
		panic(fmt.Sprintf("cuda: linear of %d inputs on a [%d,%d] weight", x.Cols(), w.Out, w.In))
	}
	if l.Bias != nil && len(l.Bias) != w.Out {
		panic(fmt.Sprintf("cuda: bias of %d values for %d outputs", len(l.Bias), w.Out))
	}
	return append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), w.Out)
}

// Linear returns x·Wᵀ + bias. The weight is resident after its first use.
func (b *Backend) Linear(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	shape := linearShape(x, l)
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(shape...)
	if out.Numel() > 0 {
		b.linear(x, l, ptr(out))
	}
	return out
}

// linear computes x·Wᵀ + bias into dy on the device; the caller holds the lock and has
// checked the shapes.
func (b *Backend) linear(x *runtime.Tensor, l runtime.Linear, dy uintptr) {
	b.mustBeOpen()
	w := l.W
	d := b.weight(w)
	bias := b.param(l.Bias)
	dx := ptr(x)
	m, n, k := int32(x.Rows()), int32(w.Out), int32(w.In)
	switch {
	case d.dtype == dtypeI8 && w.ActInt8:
		b.must("edge_linear_w8a8", b.lib.linearW8A8(b.ctx, m, n, k, dx, d.ptr, d.scales, bias, dy))
	case d.dtype == dtypeI8:
		b.must("edge_linear_w8", b.lib.linearW8(b.ctx, m, n, k, dx, d.ptr, d.scales, bias, dy))
	case d.dtype == dtypeF16:
		b.must("edge_linear_f16", b.lib.linearF16(b.ctx, m, n, k, dx, d.ptr, bias, dy))
	default:
		b.must("edge_linear_f32", b.lib.linearF32(b.ctx, m, n, k, dx, d.ptr, bias, dy, b.tf32()))
	}
}

// tf32 says whether fp32 products may use TF32 tensor cores.
func (b *Backend) tf32() int32 {
	if b.cfg.Precision == FP32 {
		return 0
	}
	return 1
}

func (b *Backend) mustBeOpen() {
	if b.closed {
		panic("cuda: backend used after Close")
	}
}

// LayerNorm normalises each row; weight and bias may be nil.
func (b *Backend) LayerNorm(x *runtime.Tensor, weight, bias []float32, eps float32) *runtime.Tensor {
	c := x.Cols()
	if (weight != nil && len(weight) != c) || (bias != nil && len(bias) != c) {
		panic(fmt.Sprintf("cuda: layer norm of %d columns with %d weights and %d biases", c, len(weight), len(bias)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(x.Shape...)
	if out.Numel() == 0 {
		return out
	}
	dw, db := b.param(weight), b.param(bias)
	b.must("edge_layer_norm", b.lib.layerNorm(b.ctx, int32(x.Rows()), int32(c), ptr(x), ptr(out), dw, db, eps))
	return out
}

// RMSNorm scales each row by weight/sqrt(mean(x²)+eps).
func (b *Backend) RMSNorm(x *runtime.Tensor, weight []float32, eps float32) *runtime.Tensor {
	c := x.Cols()
	if len(weight) != c {
		panic(fmt.Sprintf("cuda: RMS norm of %d columns with %d weights", c, len(weight)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(x.Shape...)
	if out.Numel() == 0 {
		return out
	}
	b.must("edge_rms_norm", b.lib.rmsNorm(b.ctx, int32(x.Rows()), int32(c), ptr(x), ptr(out), b.param(weight), eps))
	return out
}

// activation maps runtime's activations to edge_activation (edgecuda.h).
func activation(act runtime.Activation) int32 {
	switch act {
	case runtime.ActIdentity:
		return 0
	case runtime.ActReLU:
		return 1
	case runtime.ActGELU:
		return 2
	case runtime.ActGELUTanh:
		return 3
	default:
		panic(fmt.Sprintf("cuda: unknown activation %d", act))
	}
}

// Activate applies act in place.
func (b *Backend) Activate(x *runtime.Tensor, act runtime.Activation) {
	a := activation(act)
	if a == 0 || x.Numel() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_activate", b.lib.activate(b.ctx, ptr(x), uint64(x.Numel()), a))
}

func sameShape(op string, x, y *runtime.Tensor) {
	if x.Numel() != y.Numel() {
		panic(fmt.Sprintf("cuda: %s on shapes %v and %v", op, x.Shape, y.Shape))
	}
}

// AddInPlace does x += y.
func (b *Backend) AddInPlace(x, y *runtime.Tensor) {
	sameShape("add", x, y)
	if x.Numel() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_add", b.lib.add(b.ctx, ptr(x), ptr(y), uint64(x.Numel())))
}

// MulInPlace does x *= y.
func (b *Backend) MulInPlace(x, y *runtime.Tensor) {
	sameShape("mul", x, y)
	if x.Numel() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_gated_mul", b.lib.gatedMul(b.ctx, ptr(x), ptr(y), uint64(x.Numel()), 0))
}
