package cpu

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Attention computes softmax(scale·q·kᵀ + bias + mask)·v per head, in float32 with the
// softmax's exponentials in float64. Work is split over (head, query) pairs.
func (b *Backend) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	h, d := p.Heads, p.HeadDim
	width := h * d
	if q.Cols() != width || k.Cols() != width || v.Cols() != width || k.Rows() != v.Rows() {
		panic(fmt.Sprintf("cpu: attention shapes q%v k%v v%v for %d heads of %d", q.Shape, k.Shape, v.Shape, h, d))
	}
	tq, tk := q.Rows(), k.Rows()
	out := runtime.NewTensor(tq, width)
	b.parallel(h*tq, 4, func(lo, hi int) {
		scores := make([]float32, tk)
		for item := lo; item < hi; item++ {
			head, i := item/tq, item%tq
			qi := q.Data[i*width+head*d : i*width+head*d+d]
			limit := tk
			if p.Causal {
				limit = min(tk, i+p.QueryOffset+1)
			}
			var bias []float32
			if p.Bias != nil {
				bias = p.Bias[(head*tq+i)*tk : (head*tq+i+1)*tk]
			}
			maxv := float32(math.Inf(-1))
			for j := 0; j < limit; j++ {
				s := p.Scale * kernels.Dot(qi, k.Data[j*width+head*d:j*width+head*d+d])
				if bias != nil {
					s += bias[j]
				}
				scores[j] = s
				maxv = max(maxv, s)
			}
			var sum float64
			for j := 0; j < limit; j++ {
				e := math.Exp(float64(scores[j] - maxv))
				scores[j] = float32(e)
				sum += e
			}
			inv := float32(1 / sum)
			o := out.Data[i*width+head*d : i*width+head*d+d]
			for j := 0; j < limit; j++ {
				kernels.Axpy(scores[j]*inv, v.Data[j*width+head*d:j*width+head*d+d], o)
			}
		}
	})
	return out
}
