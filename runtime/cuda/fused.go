package cuda

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
)

// Fused forms of common pairs of operations (runtime.FusedLinear): each saves a pass of
// an activation through device memory and an intermediate tensor; the results equal
// the unfused operations'.

// LinearAct returns act(x·Wᵀ + bias).
func (b *Backend) LinearAct(x *runtime.Tensor, l runtime.Linear, act runtime.Activation) *runtime.Tensor {
	a := activation(act)
	shape := linearShape(x, l)
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(shape...)
	if out.Numel() == 0 {
		return out
	}
	b.linear(x, l, ptr(out))
	if a != 0 {
		b.must("edge_activate", b.lib.activate(b.ctx, ptr(out), uint64(out.Numel()), a))
	}
	return out
}

// LinearAdd does dst += x·Wᵀ + bias, the product going through a scratch buffer.
func (b *Backend) LinearAdd(x *runtime.Tensor, l runtime.Linear, dst *runtime.Tensor) {
	shape := linearShape(x, l)
	n := 1
	for _, d := range shape {
		n *= d
	}
	if dst.Numel() != n || dst.Cols() != l.W.Out {
		panic(fmt.Sprintf("cuda: linear-add of %v through [%d,%d] into %v", x.Shape, l.W.Out, l.W.In, dst.Shape))
	}
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	tmp := b.slot(slotOut, 4*uint64(n))
	b.linear(x, l, tmp)
	b.must("edge_add", b.lib.add(b.ctx, ptr(dst), tmp, uint64(n)))
}
