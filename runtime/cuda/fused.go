package cuda

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
)

// Fused forms of common pairs of operations: each saves a round trip of an activation
// between host and device. They have the signatures of the optional interfaces model
// code may look for (a product with its activation or residual, attention on a fused
// q|k|v projection); the results equal the unfused operations'.

// LinearAct returns act(x·Wᵀ + bias).
func (b *Backend) LinearAct(x *runtime.Tensor, l runtime.Linear, act runtime.Activation) *runtime.Tensor {
	a := activation(act)
	out := linearResult(x, l)
	if len(out.Data) == 0 {
		return out
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	dy := b.linear(x, l, slotOut)
	if a != 0 {
		b.must("edge_activate", b.lib.activate(b.ctx, dy, uint64(len(out.Data)), a))
	}
	b.download(out.Data, dy)
	return out
}

// LinearAdd does dst += x·Wᵀ + bias.
func (b *Backend) LinearAdd(x *runtime.Tensor, l runtime.Linear, dst *runtime.Tensor) {
	out := linearResult(x, l)
	sameShape("linear add", dst, out)
	if len(out.Data) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	dy := b.linear(x, l, slotOut)
	dd := b.upload(slotB, dst.Data)
	b.must("edge_add", b.lib.add(b.ctx, dd, dy, uint64(len(dst.Data))))
	b.download(dst.Data, dd)
}

// AttentionQKV runs attention on q, k and v side by side in qkv [T, 3·H·D], reading them
// in place on the device.
func (b *Backend) AttentionQKV(qkv *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	width := h * d
	if qkv.Cols() != 3*width {
		panic(fmt.Sprintf("cuda: fused attention input %v for %d heads of %d", qkv.Shape, h, d))
	}
	t := qkv.Rows()
	if p.Bias != nil && len(p.Bias) != h*t*t {
		panic(fmt.Sprintf("cuda: attention bias of %d values for %d heads × %d × %d", len(p.Bias), h, t, t))
	}
	out := runtime.NewTensor(t, width)
	if t == 0 {
		return out
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	base := b.upload(slotA, qkv.Data)
	a := attnArgs{q: base, k: base + uintptr(4*width), v: base + uintptr(8*width),
		out: b.slot(slotOut, 4*uint64(len(out.Data))), tq: int32(t), tk: int32(t), heads: int32(h), headDim: int32(d),
		scale: p.Scale, allowT: b.tf32(), ldQ: int32(3 * width), ldKV: int32(3 * width)}
	if p.Bias != nil {
		a.bias = b.upload(slotD, p.Bias)
	}
	if p.Causal {
		a.causal, a.queryOffset = 1, int32(p.QueryOffset)
	}
	if err := b.attend(&a); err != nil {
		panic(err)
	}
	b.download(out.Data, a.out)
	return out
}
