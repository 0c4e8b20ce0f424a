// Package opt is the OPT decoder-only language model as BLIP-2 uses it
// (transformers' OPTForCausalLM): pre-LN or post-LN layers, learned positions with an
// offset of 2, optional project_in/project_out, and a head tied to the token embeddings.
//
// Its room in docs/architecture.md: model: imports runtime, models/hfconfig and models/weights.
package opt

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
)

// positionOffset is OPT's learned-position quirk: row pos+2 holds position pos.
const positionOffset = 2

const layerNormEps = 1e-5 // nn.LayerNorm's default, which OPT uses

type norm struct{ weight, bias []float32 } // [hidden] each; nil without affine

type layer struct {
	attnNorm       norm
	q, k, v, o     runtime.Linear // [hidden, hidden]
	ffnNorm        norm
	fc1            runtime.Linear // [ffn, hidden]
	fc2            runtime.Linear // [hidden, ffn]
	heads, headDim int
}

// Model is an OPT decoder bound to its weights.
type Model struct {
	be             runtime.Backend
	cfg            hfconfig.TextConfig
	embedTokens    *runtime.Weight // [vocab, wordEmbedProjDim]; int8 rows in a quantized checkpoint
	embedPositions []float32       // [maxPositions+2, hidden]
	projectIn      *runtime.Linear
	projectOut     *runtime.Linear
	layers         []layer
	finalNorm      *norm
	lmHead         runtime.Linear // [vocab, wordEmbedProjDim], tied to embedTokens unless stored
	noCache        bool
}

// Options change how the model runs, not what it computes.
type Options struct {
	// NoCache recomputes the whole sequence at every step instead of using the KV cache
	// (slow; it checks the cache against a plain forward pass).
	NoCache bool
}

// Bind declares every tensor of an OPT decoder under prefix (for BLIP-2,
// "language_model.") and binds it. On a dry run (nil store) the weights are nil.
func Bind(b *weights.Binder, prefix string, cfg hfconfig.TextConfig, be runtime.Backend, opts Options) *Model {
	d, v, e := cfg.HiddenSize, cfg.VocabSize, cfg.WordEmbedProjDim
	if e == 0 {
		e = d
	}
	p := prefix + "model.decoder."
	m := &Model{be: be, cfg: cfg, noCache: opts.NoCache}
	m.embedTokens = b.Embedding(p+"embed_tokens.weight", v, e)
	m.embedPositions = b.Tensor(p+"embed_positions.weight", cfg.MaxPositionEmbeddings+positionOffset, d)
	if e != d {
		in := b.Linear(p+"project_in", d, e, false)
		out := b.Linear(p+"project_out", e, d, false)
		m.projectIn, m.projectOut = &in, &out
	}
	bindNorm := func(name string) norm {
		if !cfg.LayerNormElementwiseAffine {
			return norm{}
		}
		return norm{b.Tensor(name+".weight", d), b.Tensor(name+".bias", d)}
	}
	heads := cfg.NumAttentionHeads
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		lp := fmt.Sprintf("%slayers.%d.", p, i)
		l := layer{heads: heads, headDim: d / heads}
		l.q = b.Linear(lp+"self_attn.q_proj", d, d, cfg.EnableBias)
		l.k = b.Linear(lp+"self_attn.k_proj", d, d, cfg.EnableBias)
		l.v = b.Linear(lp+"self_attn.v_proj", d, d, cfg.EnableBias)
		l.o = b.Linear(lp+"self_attn.out_proj", d, d, cfg.EnableBias)
		l.attnNorm = bindNorm(lp + "self_attn_layer_norm")
		l.fc1 = b.Linear(lp+"fc1", cfg.FFNDim, d, cfg.EnableBias)
		l.fc2 = b.Linear(lp+"fc2", d, cfg.FFNDim, cfg.EnableBias)
		l.ffnNorm = bindNorm(lp + "final_layer_norm")
		m.layers = append(m.layers, l)
	}
	if cfg.DoLayerNormBefore && !cfg.RemoveFinalLayerNorm {
		n := bindNorm(p + "final_layer_norm")
		m.finalNorm = &n
	}
	// The head is tied to the token embeddings; a checkpoint that stores its own
	// lm_head (or a quantized copy of it) is used as stored.
	if b.Has(prefix + "lm_head.weight") {
		m.lmHead = b.Linear(prefix+"lm_head", v, e, false)
	} else {
		m.lmHead = runtime.Linear{W: m.embedTokens}
	}
	return m
}

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.cfg.VocabSize }

// ContextLength is the number of learned positions.
func (m *Model) ContextLength() int { return m.cfg.MaxPositionEmbeddings }

// Embed gathers token embeddings (before project_in).
func (m *Model) Embed(ids []int) (*runtime.Tensor, error) {
	for _, id := range ids {
		if id < 0 || id >= m.cfg.VocabSize {
			return nil, fmt.Errorf("opt: token id %d outside the vocabulary of %d", id, m.cfg.VocabSize)
		}
	}
	out := m.be.NewTensor(len(ids), m.lmHead.W.In) // [len(ids), wordEmbedProjDim]
	m.be.Embed(m.embedTokens, ids, out)
	return out, nil
}

func (m *Model) layerNorm(x *runtime.Tensor, n norm) *runtime.Tensor {
	return m.be.LayerNorm(x, n.weight, n.bias, layerNormEps)
}

// forward runs embeds (already embedded tokens) at positions start.. through the
// decoder, appending to cache, and returns the hidden states after the final norm.
// embeds is the caller's scratch: forward may overwrite it and may return it, but
// never gives it back to the backend.
func (m *Model) forward(embeds *runtime.Tensor, cache *runtime.KVCache, sp *runtime.Spent) (*runtime.Tensor, error) {
	be := m.be
	start, n := cache.Len(), embeds.Rows()
	if start+n > m.cfg.MaxPositionEmbeddings {
		return nil, fmt.Errorf("opt: %d positions exceed the model's context of %d", start+n, m.cfg.MaxPositionEmbeddings)
	}
	x := embeds
	if m.projectIn != nil {
		x = be.Linear(x, *m.projectIn)
	}
	// give returns x to the backend unless it is the caller's embeds.
	give := func(x *runtime.Tensor) {
		if x != embeds {
			sp.Give(x)
		}
	}
	be.AddRows(x, m.embedPositions, start+positionOffset) // learned positions, offset by 2
	preLN := m.cfg.DoLayerNormBefore
	act := runtime.ParseActivation(m.cfg.ActivationFunction, runtime.ActReLU)
	// Intermediates go back to the backend once used (runtime.Recycle), so that a
	// decoded token reuses the memory of the last one instead of allocating.
	for li := range m.layers {
		l := &m.layers[li]
		h := x
		if preLN {
			h = m.layerNorm(x, l.attnNorm)
		}
		q, k, v := be.Linear(h, l.q), be.Linear(h, l.k), be.Linear(h, l.v)
		if preLN {
			sp.Give(h)
		}
		keys, values := cache.Append(li, k, v) // copies k and v
		sp.Give(k, v)
		ctx := be.Attention(q, keys, values, runtime.AttentionParams{
			Heads: l.heads, HeadDim: l.headDim, Scale: float32(1 / math.Sqrt(float64(l.headDim))),
			Causal: true, QueryOffset: start,
		})
		sp.Give(q)
		if preLN {
			// x += out_proj(ctx); x += fc2(act(fc1(LN(x)))): the residuals accumulate in x.
			runtime.LinearAdd(be, ctx, l.o, x)
			f := m.layerNorm(x, l.ffnNorm)
			g := runtime.LinearAct(be, f, l.fc1, act)
			runtime.LinearAdd(be, g, l.fc2, x)
			sp.Give(ctx, f, g)
			continue
		}
		h = be.Linear(ctx, l.o)
		be.AddInPlace(h, x)
		a := m.layerNorm(h, l.attnNorm)
		give(x)
		sp.Give(ctx, h)
		g := runtime.LinearAct(be, a, l.fc1, act)
		f := be.Linear(g, l.fc2)
		be.AddInPlace(f, a)
		x = m.layerNorm(f, l.ffnNorm)
		sp.Give(a, g, f)
	}
	if m.finalNorm != nil {
		y := m.layerNorm(x, *m.finalNorm)
		give(x)
		x = y
	}
	if m.projectOut != nil {
		y := be.Linear(x, *m.projectOut)
		give(x)
		x = y
	}
	return x, nil
}

// Start runs the prompt embeddings and returns the state for the first new token, its
// cache sized for maxNew more.
func (m *Model) Start(embeds *runtime.Tensor, maxNew int, allLogits bool) (runtime.Sequence, *runtime.Tensor, error) {
	be := m.be
	cache := runtime.NewKVCache(be, len(m.layers), m.cfg.HiddenSize, embeds.Rows()+max(maxNew, 1))
	s := &sequence{m: m, cache: cache, spent: runtime.Spent{Backend: be}}
	x := runtime.Clone(be, embeds)
	h, err := m.forward(x, cache, &s.spent)
	if err != nil {
		return nil, nil, err
	}
	var all *runtime.Tensor
	if allLogits {
		all = be.Linear(h, m.lmHead)
	}
	s.logits = be.Linear(h.RowsView(h.Rows()-1, h.Rows(), &s.last), m.lmHead)
	s.spent.Give(h, x) // h may be x: the second is skipped
	if m.noCache {
		s.embeds = runtime.Clone(be, embeds)
	}
	return s, all, nil
}

type sequence struct {
	m      *Model
	cache  *runtime.KVCache
	logits *runtime.Tensor // [1, vocab]; goes back to the backend at the next Feed
	embeds *runtime.Tensor // the whole input so far, only without the cache
	x      *runtime.Tensor // [1, embed]: the fed token's embedding, overwritten by forward
	ids    [1]int          // the fed token, as Embed takes it
	last   runtime.Tensor  // the view of the last hidden row, reused
	spent  runtime.Spent
}

// Logits are valid until the next Feed on this sequence, which reuses their memory.
func (s *sequence) Logits() *runtime.Tensor  { return s.logits }
func (s *sequence) Len() int                 { return s.cache.Len() }
func (s *sequence) Backend() runtime.Backend { return s.m.be }

func (s *sequence) Feed(token int) error {
	m, be := s.m, s.m.be
	if token < 0 || token >= m.cfg.VocabSize {
		return fmt.Errorf("opt: token id %d outside the vocabulary of %d", token, m.cfg.VocabSize)
	}
	if s.x == nil {
		s.x = be.NewTensor(1, m.lmHead.W.In)
	}
	s.ids[0] = token
	be.Embed(m.embedTokens, s.ids[:], s.x)
	x := s.x
	if s.embeds != nil {
		s.embeds = runtime.ConcatRows(be, s.embeds, s.x)
		s.cache = runtime.NewKVCache(be, len(m.layers), m.cfg.HiddenSize, s.embeds.Rows())
		x = runtime.Clone(be, s.embeds)
	}
	h, err := m.forward(x, s.cache, &s.spent)
	if err != nil {
		return err
	}
	// The last logits' memory serves the new ones.
	s.spent.Give(s.logits)
	s.logits = be.Linear(h.RowsView(h.Rows()-1, h.Rows(), &s.last), m.lmHead)
	if h != s.x {
		s.spent.Give(h)
	}
	return nil
}

func (s *sequence) Clone() runtime.Sequence {
	be := s.m.be
	c := &sequence{m: s.m, cache: s.cache.Clone(), logits: runtime.Clone(be, s.logits), spent: runtime.Spent{Backend: be}}
	if s.embeds != nil {
		c.embeds = runtime.Clone(be, s.embeds)
	}
	return c
}
