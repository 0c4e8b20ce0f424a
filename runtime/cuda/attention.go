package cuda

import (
	"errors"
	"fmt"

	"github.com/edgevlm/edge/runtime"
)

// decodeMaxQueries is the most queries the fused kernel takes; more go through the
// batched-GEMM path, which uses tensor cores.
const decodeMaxQueries = 4

// Attention returns softmax(Scale·q·kᵀ + Bias + mask)·v as [Tq, H·D].
func (b *Backend) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	width := h * d
	if q.Cols() != width || k.Cols() != width || v.Cols() != width || k.Rows() != v.Rows() {
		panic(fmt.Sprintf("cuda: attention shapes q%v k%v v%v for %d heads of %d", q.Shape, k.Shape, v.Shape, h, d))
	}
	tq, tk := q.Rows(), k.Rows()
	if p.Bias != nil && len(p.Bias) != h*tq*tk {
		panic(fmt.Sprintf("cuda: attention bias of %d values for %d heads × %d queries × %d keys", len(p.Bias), h, tq, tk))
	}
	out := runtime.NewTensor(tq, width)
	if tq == 0 || tk == 0 {
		return out
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	a := attnArgs{
		q: b.upload(slotA, q.Data), k: b.upload(slotB, k.Data), v: b.upload(slotC, v.Data),
		out: b.slot(slotOut, 4*uint64(len(out.Data))),
		tq:  int32(tq), tk: int32(tk), heads: int32(h), headDim: int32(d), scale: p.Scale,
		allowT: b.tf32(),
	}
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

// attend runs the fused kernel for few queries and the GEMM path otherwise, or when the
// keys do not fit the fused kernel's shared memory.
func (b *Backend) attend(a *attnArgs) error {
	if a.tq <= decodeMaxQueries {
		err := b.call("edge_attention_decode", b.lib.attnDecode(b.ctx, a))
		var e *Error
		if err == nil || !errors.As(err, &e) || !e.Unsupported() {
			return err
		}
	}
	return b.call("edge_attention_prefill", b.lib.attnPrefill(b.ctx, a))
}
