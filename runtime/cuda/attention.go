package cuda

import (
	"errors"
	"fmt"

	"github.com/edgevlm/edge/runtime"
)

// decodeMaxQueries is the most queries the fused kernel takes; more go through the
// batched-GEMM path, which uses tensor cores.
const decodeMaxQueries = 4

// Attention returns softmax(Scale·q·kᵀ + Bias + mask)·v as [Tq, H·D]. k and v may be
// views of a KV cache: they are read where they lie.
func (b *Backend) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	width := h * d
	if q.Cols() != width || k.Cols() != width || v.Cols() != width || k.Rows() != v.Rows() {
		panic(fmt.Sprintf("cuda: attention shapes q%v k%v v%v for %d heads of %d", q.Shape, k.Shape, v.Shape, h, d))
	}
	tq, tk := q.Rows(), k.Rows()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(tq, width)
	if tq == 0 || tk == 0 {
		return out
	}
	a := attnArgs{q: ptr(q), k: ptr(k), v: ptr(v), out: ptr(out),
		tq: int32(tq), tk: int32(tk), heads: int32(h), headDim: int32(d), scale: p.Scale, allowT: b.tf32()}
	b.attendSeqs(&a, p, tq, tk, width, width)
	return out
}

// attendSeqs runs a once per sequence of p.Seqs (a batch of images), each on its own rows
// of q (stride ldQ floats), k and v (ldKV) and out; the caller holds the lock.
func (b *Backend) attendSeqs(a *attnArgs, p runtime.AttentionParams, tq, tk, ldQ, ldKV int) {
	seqs, sq, sk := p.SeqSplit(tq, tk)
	if seqs == 1 {
		b.attendWith(a, p, tq, tk)
		return
	}
	width := int(a.heads * a.headDim)
	for s := range seqs {
		one := *a
		one.q += uintptr(4 * s * sq * ldQ)
		one.k += uintptr(4 * s * sk * ldKV)
		one.v += uintptr(4 * s * sk * ldKV)
		one.out += uintptr(4 * s * sq * width)
		one.tq, one.tk = int32(sq), int32(sk)
		b.attendWith(&one, p, sq, sk)
	}
}

// AttentionQKV runs attention on q, k and v side by side in qkv [T, 3·H·D], reading them
// in place through their leading dimension.
func (b *Backend) AttentionQKV(qkv *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	width := h * d
	if qkv.Cols() != 3*width {
		panic(fmt.Sprintf("cuda: fused attention input %v for %d heads of %d", qkv.Shape, h, d))
	}
	t := qkv.Rows()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.newTensor(t, width)
	if t == 0 {
		return out
	}
	base := ptr(qkv)
	a := attnArgs{q: base, k: base + uintptr(4*width), v: base + uintptr(8*width), out: ptr(out),
		tq: int32(t), tk: int32(t), heads: int32(h), headDim: int32(d),
		scale: p.Scale, allowT: b.tf32(), ldQ: int32(3 * width), ldKV: int32(3 * width)}
	b.attendSeqs(&a, p, t, t, 3*width, 3*width)
	return out
}

// attendWith adds the bias and mask of p to a and runs it; the caller holds the lock.
func (b *Backend) attendWith(a *attnArgs, p runtime.AttentionParams, tq, tk int) {
	if p.Bias != nil {
		if p.Bias.Numel() != p.Heads*tq*tk {
			panic(fmt.Sprintf("cuda: attention bias %v for %d heads × %d queries × %d keys", p.Bias.Shape, p.Heads, tq, tk))
		}
		a.bias = ptr(p.Bias)
	}
	if p.Causal {
		a.causal, a.queryOffset = 1, int32(p.QueryOffset)
	}
	if err := b.attend(a); err != nil {
		panic(err)
	}
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
