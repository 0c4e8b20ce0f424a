package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Attention computes softmax(scale·q·kᵀ + bias + mask)·v per head.
func (b *Backend) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	width := p.Heads * p.HeadDim
	if q.Cols() != width || k.Cols() != width || v.Cols() != width || k.Rows() != v.Rows() {
		panic(fmt.Sprintf("cpu: attention shapes q%v k%v v%v for %d heads of %d", q.Shape, k.Shape, v.Shape, p.Heads, p.HeadDim))
	}
	return b.attend(q.Data, width, k.Data, width, v.Data, width, q.Rows(), k.Rows(), p)
}

// AttentionQKV is self-attention on a fused projection [T, 3·H·D]: q, k and v are read
// in place through their leading dimension, with no split copies.
func (b *Backend) AttentionQKV(qkv *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	width := p.Heads * p.HeadDim
	if qkv.Cols() != 3*width {
		panic(fmt.Sprintf("cpu: fused attention on %v for %d heads of %d", qkv.Shape, p.Heads, p.HeadDim))
	}
	d, rows := qkv.Data, qkv.Rows()
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
	width := h * d
	out := b.tensor(tq, width)
	if tq == 0 || tk == 0 {
		clear(out.Data)
		return out
	}
	blocks := (tq + queryBlock - 1) / queryBlock
	qb := min(tq, queryBlock)
	packed := tq > 2 // one or two queries (decoding) read K and V rows directly
	b.parallel(h*blocks, 1, func(lo, hi int) {
		ps := kernels.PackedSize(d, tk)
		need := qb * tk
		if packed {
			need += 2 * ps
		}
		buf := b.floats(need)
		s := (*buf)[:qb*tk]
		var pk, pv kernels.PackedB
		packedHead := -1
		for item := lo; item < hi; item++ {
			head, blk := item/blocks, item%blocks
			i0 := blk * qb
			m := min(qb, tq-i0)
			qh := q[i0*ldq+head*d:]
			if packed && head != packedHead {
				pk = kernels.PackBInto(tk, d, k[head*d:], ldk, (*buf)[qb*tk:qb*tk+ps])
				pv = kernels.PackBT(d, tk, v[head*d:], ldv, (*buf)[qb*tk+ps:])
				packedHead = head
			}
			if packed {
				kernels.GemmPacked(m, qh, ldq, pk, s, tk, false)
			} else {
				kernels.GemmNT(m, tk, d, qh, ldq, k[head*d:], ldk, s, tk, false)
			}
			for r := range m {
				row := s[r*tk : (r+1)*tk]
				limit := tk
				if p.Causal {
					limit = min(tk, i0+r+p.QueryOffset+1)
				}
				live := row[:limit]
				if p.Bias != nil {
					if p.Scale != 1 {
						kernels.Scale(p.Scale, live)
					}
					off := (head*tq + i0 + r) * tk
					kernels.Axpy(1, p.Bias[off:off+limit], live)
					kernels.Softmax(live, 1)
				} else {
					kernels.Softmax(live, p.Scale)
				}
				clear(row[limit:])
			}
			o := out.Data[i0*width+head*d:]
			if !packed {
				for r := range m {
					orow := o[r*width : r*width+d]
					clear(orow)
					for j, pj := range s[r*tk : (r+1)*tk] {
						if pj != 0 {
							kernels.Axpy(pj, v[j*ldv+head*d:j*ldv+head*d+d], orow)
						}
					}
				}
				continue
			}
			kernels.GemmPacked(m, s[:m*tk], tk, pv, o, width, false)
		}
		b.release(buf)
	})
	return out
}
