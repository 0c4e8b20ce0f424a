package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// attnTask is one attention call as its work items see it.
type attnTask struct {
	q, k, v       []float32
	ldq, ldk, ldv int
	tq, tk        int // per sequence
	seqs          int // independent sequences stacked in q, k and v
	heads, d      int
	blocks, qb    int
	packed        bool // K and V packed per head (more than two queries)
	scale         float32
	causal        bool
	offset        int
	bias          []float32 // [heads, tq, tk] or nil
}

// Attention computes softmax(scale·q·kᵀ + bias + mask)·v per head.
func (b *Backend) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	width := p.Heads * p.HeadDim
	if q.Cols() != width || k.Cols() != width || v.Cols() != width || k.Rows() != v.Rows() {
		panic(fmt.Sprintf("cpu: attention shapes q%v k%v v%v for %d heads of %d", q.Shape, k.Shape, v.Shape, p.Heads, p.HeadDim))
	}
	return b.attend(data(q), width, data(k), width, data(v), width, q.Rows(), k.Rows(), p)
}

// AttentionQKV is self-attention on a fused projection [T, 3·H·D]: q, k and v are read
// in place through their leading dimension, with no split copies.
func (b *Backend) AttentionQKV(qkv *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	width := p.Heads * p.HeadDim
	if qkv.Cols() != 3*width {
		panic(fmt.Sprintf("cpu: fused attention on %v for %d heads of %d", qkv.Shape, p.Heads, p.HeadDim))
	}
	d, rows := data(qkv), qkv.Rows()
	return b.attend(d, 3*width, d[width:], 3*width, d[2*width:], 3*width, rows, rows, p)
}

// queryBlock is the most query rows one work item takes: a few micro-kernel row
// blocks (of 12), so that a head's scores are a handful of GEMMs and the items
// still spread over the cores.
const queryBlock = 48

// attend works per (head, block of queries): S = Q·Kᵀ as one product, the masked
// softmax of each row in float32, then O = P·V as a second product. K and V of a
// head are packed once per core that works on it (V straight from its rows).
func (b *Backend) attend(q []float32, ldq int, k []float32, ldk int, v []float32, ldv int, tq, tk int, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	out := b.tensor(tq, h*d)
	if tq == 0 || tk == 0 {
		clear(data(out))
		return out
	}
	seqs, tq, tk := p.SeqSplit(tq, tk)
	a := attnTask{q: q, k: k, v: v, ldq: ldq, ldk: ldk, ldv: ldv, tq: tq, tk: tk, seqs: seqs, heads: h, d: d,
		blocks: (tq + queryBlock - 1) / queryBlock, qb: min(tq, queryBlock),
		packed: tq > 2, // one or two queries (decoding) read K and V rows directly
		scale:  p.Scale, causal: p.Causal, offset: p.QueryOffset}
	if p.Bias != nil {
		if p.Bias.Numel() != h*tq*tk {
			panic(fmt.Sprintf("cpu: attention bias %v for %d heads × %d queries × %d keys", p.Bias.Shape, h, tq, tk))
		}
		a.bias = data(p.Bias)
	}
	t := task{b: b, out: data(out), attn: a}
	b.parallel(seqs*h*a.blocks, 1, attendItems, &t)
	return out
}

// attendItems runs work items [lo, hi) of an attention call: item = (seq·heads + head)·
// blocks + block.
func attendItems(t *task, lo, hi int) {
	b, a := t.b, &t.attn
	d, tq, tk := a.d, a.tq, a.tk
	width := a.heads * d
	q, k, v := a.q, a.k, a.v
	// K packs as B [tk×d] of S = Q·Kᵀ, V as B [d×tk] of O = P·V: not the same size
	// once tk is not a multiple of the panel width.
	psK, psV := kernels.PackedSize(tk, d), kernels.PackedSize(d, tk)
	qb := a.qb
	need := qb * tk
	if a.packed {
		need += psK + psV
	}
	buf := b.floats(need)
	s := (*buf)[:qb*tk]
	var pk, pv kernels.PackedB
	packedHead := -1
	for item := lo; item < hi; item++ {
		seqHead, blk := item/a.blocks, item%a.blocks
		seq, head := seqHead/a.heads, seqHead%a.heads
		// The sequence's rows: queries from seq·tq, keys and values from seq·tk.
		q, k, v := q[seq*tq*a.ldq:], k[seq*tk*a.ldk:], v[seq*tk*a.ldv:]
		i0 := blk * qb
		m := min(qb, tq-i0)
		qh := q[i0*a.ldq+head*d:]
		if a.packed && seqHead != packedHead {
			pk = kernels.PackBInto(tk, d, k[head*d:], a.ldk, (*buf)[qb*tk:qb*tk+psK])
			pv = kernels.PackBT(d, tk, v[head*d:], a.ldv, (*buf)[qb*tk+psK:])
			packedHead = seqHead
		}
		if a.packed {
			kernels.GemmPacked(m, qh, a.ldq, pk, s, tk, false)
		} else {
			kernels.GemmNT(m, tk, d, qh, a.ldq, k[head*d:], a.ldk, s, tk, false)
		}
		for r := range m {
			row := s[r*tk : (r+1)*tk]
			limit := tk
			if a.causal {
				limit = min(tk, i0+r+a.offset+1)
			}
			live := row[:limit]
			if a.bias != nil {
				if a.scale != 1 {
					kernels.Scale(a.scale, live)
				}
				off := (head*tq + i0 + r) * tk
				kernels.Axpy(1, a.bias[off:off+limit], live)
				kernels.Softmax(live, 1)
			} else {
				kernels.Softmax(live, a.scale)
			}
			clear(row[limit:])
		}
		o := t.out[(seq*tq+i0)*width+head*d:]
		if !a.packed {
			for r := range m {
				orow := o[r*width : r*width+d]
				clear(orow)
				for j, pj := range s[r*tk : (r+1)*tk] {
					if pj != 0 {
						kernels.Axpy(pj, v[j*a.ldv+head*d:j*a.ldv+head*d+d], orow)
					}
				}
			}
			continue
		}
		kernels.GemmPacked(m, s[:m*tk], tk, pv, o, width, false)
	}
	b.release(buf)
}
