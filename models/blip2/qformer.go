package blip2

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
)

// qAttention is one BERT attention block: projections, then dense + residual + post-LN.
type qAttention struct {
	q, k, v runtime.Linear // q [hidden, hidden]; k, v [hidden, kvDim]
	dense   runtime.Linear // [hidden, hidden]
	norm    layerNorm
}

type qLayer struct {
	self  qAttention
	cross *qAttention // every cross_attention_frequency layers
	fc1   runtime.Linear
	fc2   runtime.Linear
	norm  layerNorm
}

// QFormer is BLIP-2's querying transformer: learned query tokens that self-attend,
// cross-attend to the image features, and pass a feed-forward, all post-LN.
type QFormer struct {
	cfg     hfconfig.QFormerConfig
	queries []float32 // [1, numQuery, hidden]
	numQ    int
	inNorm  layerNorm
	layers  []qLayer
}

func bindQFormer(b *weights.Binder, cfg hfconfig.QFormerConfig, numQuery, visionHidden int) *QFormer {
	d := cfg.HiddenSize
	q := &QFormer{cfg: cfg, numQ: numQuery}
	q.queries = b.Tensor("query_tokens", 1, numQuery, d)
	norm := func(name string) layerNorm {
		return layerNorm{b.Tensor(name+".weight", d), b.Tensor(name+".bias", d)}
	}
	q.inNorm = norm("qformer.layernorm")
	attn := func(p string, kvDim int) qAttention {
		return qAttention{
			q:     b.Linear(p+".attention.query", d, d, true),
			k:     b.Linear(p+".attention.key", d, kvDim, true),
			v:     b.Linear(p+".attention.value", d, kvDim, true),
			dense: b.Linear(p+".output.dense", d, d, true),
			norm:  norm(p + ".output.LayerNorm"),
		}
	}
	freq := max(cfg.CrossAttentionFrequency, 1)
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		lp := fmt.Sprintf("qformer.encoder.layer.%d.", i)
		l := qLayer{self: attn(lp+"attention", d)}
		if i%freq == 0 {
			c := attn(lp+"crossattention", visionHidden)
			l.cross = &c
		}
		l.fc1 = b.Linear(lp+"intermediate_query.dense", cfg.IntermediateSize, d, true)
		l.fc2 = b.Linear(lp+"output_query.dense", d, cfg.IntermediateSize, true)
		l.norm = norm(lp + "output_query.LayerNorm")
		q.layers = append(q.layers, l)
	}
	return q
}

// attend is one attention block over images stacked images (their queries attend only to
// their own image's keys).
func (q *QFormer) attend(be runtime.Backend, a *qAttention, x, kv *runtime.Tensor, images int) *runtime.Tensor {
	heads := q.cfg.NumAttentionHeads
	hd := q.cfg.HiddenSize / heads
	qs, ks, vs := be.Linear(x, a.q), be.Linear(kv, a.k), be.Linear(kv, a.v)
	ctx := be.Attention(qs, ks, vs, runtime.AttentionParams{
		Heads: heads, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), Seqs: images,
	})
	runtime.LinearAdd(be, ctx, a.dense, x) // x is this block's own input: the residual
	out := be.LayerNorm(x, a.norm.weight, a.norm.bias, float32(q.cfg.LayerNormEps))
	runtime.Recycle(be, qs, ks, vs, ctx, x)
	return out
}

// Forward turns image features [tokens, visionHidden] into query outputs [numQuery,
// hidden]. Its intermediates go back to the backend (runtime.Recycle); image does not.
func (q *QFormer) Forward(be runtime.Backend, image *runtime.Tensor) *runtime.Tensor {
	return q.ForwardBatch(be, image, 1)
}

// ForwardBatch is Forward on the features of several images stacked ([images·tokens,
// visionHidden], as VisionModel.ForwardBatch gives them): [images·numQuery, hidden].
func (q *QFormer) ForwardBatch(be runtime.Backend, image *runtime.Tensor, images int) *runtime.Tensor {
	eps := float32(q.cfg.LayerNormEps)
	queries := be.FromHost(q.queries, q.numQ, q.cfg.HiddenSize) // [numQuery, hidden]
	if images > 1 {
		one := queries
		stack := make([]*runtime.Tensor, images)
		for i := range stack {
			stack[i] = one
		}
		queries = runtime.ConcatRows(be, stack...) // [images·numQuery, hidden]
		runtime.Recycle(be, one)
	}
	x := be.LayerNorm(queries, q.inNorm.weight, q.inNorm.bias, eps)
	runtime.Recycle(be, queries)
	for i := range q.layers {
		l := &q.layers[i]
		x = q.attend(be, &l.self, x, x, images)
		if l.cross != nil {
			x = q.attend(be, l.cross, x, image, images)
		}
		f := runtime.LinearAct(be, x, l.fc1, runtime.ParseActivation(q.cfg.HiddenAct, runtime.ActGELU))
		runtime.LinearAdd(be, f, l.fc2, x)
		y := be.LayerNorm(x, l.norm.weight, l.norm.bias, eps)
		runtime.Recycle(be, f, x)
		x = y
	}
	return x
}
