// Package t5 is the (Flan-)T5 encoder-decoder as BLIP-2 uses it (transformers'
// T5ForConditionalGeneration): RMS norms, relative position buckets shared by every layer
// of a stack, no 1/√d attention scaling, plain or gated feed-forward, and a stored or
// shared output head.
//
// Its room in docs/architecture.md: model: imports runtime, models/hfconfig and models/weights.
package t5

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
)

type attention struct {
	q, k, v, o runtime.Linear // q,k,v [inner, d_model]; o [d_model, inner]
}

type feedForward struct {
	gated   bool
	wi, wi1 runtime.Linear // wi (or wi_0) [d_ff, d_model]; wi_1 [d_ff, d_model] when gated
	wo      runtime.Linear // [d_model, d_ff]
	act     runtime.Activation
}

type block struct {
	self      attention
	selfNorm  []float32 // [d_model]
	cross     *attention
	crossNorm []float32
	ff        feedForward
	ffNorm    []float32
}

// Model is a T5 encoder-decoder bound to its weights.
type Model struct {
	be             runtime.Backend
	cfg            hfconfig.TextConfig
	shared         *runtime.Weight // [vocab, d_model]; int8 rows in a quantized checkpoint
	encoder        []block
	decoder        []block
	encRelBias     []float32 // [buckets, heads]
	decRelBias     []float32
	encFinal       []float32
	decFinal       []float32
	lmHead         runtime.Linear // [vocab, d_model]
	scaleOutputs   bool
	heads, headDim int
	noCache        bool
	maxContext     int
}

// Options change how the model runs, not what it computes.
type Options struct {
	NoCache bool // recompute the decoder from scratch at every step
	// ContextLength bounds encoder input plus decoder output (T5 has no learned
	// positions; BLIP-2 chat keeps 512).
	ContextLength int
}

// Bind declares and binds every tensor of a T5 model under prefix ("language_model.").
func Bind(b *weights.Binder, prefix string, cfg hfconfig.TextConfig, be runtime.Backend, opts Options) *Model {
	d, inner := cfg.DModel, cfg.NumHeads*cfg.DKV
	m := &Model{be: be, cfg: cfg, heads: cfg.NumHeads, headDim: cfg.DKV, noCache: opts.NoCache,
		scaleOutputs: cfg.ScaleDecoderOutputs, maxContext: opts.ContextLength}
	if m.maxContext == 0 {
		m.maxContext = 512
	}
	m.shared = b.Embedding(prefix+"shared.weight", cfg.VocabSize, d)
	act := runtime.ParseActivation(cfg.DenseActFn, runtime.ActReLU)
	bindAttn := func(p string) attention {
		return attention{
			q: b.Linear(p+".q", inner, d, false), k: b.Linear(p+".k", inner, d, false),
			v: b.Linear(p+".v", inner, d, false), o: b.Linear(p+".o", d, inner, false),
		}
	}
	bindFF := func(p string) feedForward {
		ff := feedForward{gated: cfg.IsGatedAct, act: act}
		if ff.gated {
			ff.wi = b.Linear(p+".wi_0", cfg.DFF, d, false)
			ff.wi1 = b.Linear(p+".wi_1", cfg.DFF, d, false)
		} else {
			ff.wi = b.Linear(p+".wi", cfg.DFF, d, false)
		}
		ff.wo = b.Linear(p+".wo", d, cfg.DFF, false)
		return ff
	}
	buckets := cfg.RelativeAttentionNumBuckets
	for i := 0; i < cfg.NumLayers; i++ {
		p := fmt.Sprintf("%sencoder.block.%d.layer.", prefix, i)
		blk := block{self: bindAttn(p + "0.SelfAttention"), selfNorm: b.Tensor(p+"0.layer_norm.weight", d)}
		if i == 0 {
			m.encRelBias = b.Tensor(p+"0.SelfAttention.relative_attention_bias.weight", buckets, cfg.NumHeads)
		}
		blk.ff = bindFF(p + "1.DenseReluDense")
		blk.ffNorm = b.Tensor(p+"1.layer_norm.weight", d)
		m.encoder = append(m.encoder, blk)
	}
	m.encFinal = b.Tensor(prefix+"encoder.final_layer_norm.weight", d)
	for i := 0; i < cfg.NumDecoderLayers; i++ {
		p := fmt.Sprintf("%sdecoder.block.%d.layer.", prefix, i)
		blk := block{self: bindAttn(p + "0.SelfAttention"), selfNorm: b.Tensor(p+"0.layer_norm.weight", d)}
		if i == 0 {
			m.decRelBias = b.Tensor(p+"0.SelfAttention.relative_attention_bias.weight", buckets, cfg.NumHeads)
		}
		cross := bindAttn(p + "1.EncDecAttention")
		blk.cross = &cross
		blk.crossNorm = b.Tensor(p+"1.layer_norm.weight", d)
		blk.ff = bindFF(p + "2.DenseReluDense")
		blk.ffNorm = b.Tensor(p+"2.layer_norm.weight", d)
		m.decoder = append(m.decoder, blk)
	}
	m.decFinal = b.Tensor(prefix+"decoder.final_layer_norm.weight", d)
	// Real Flan-T5 BLIP-2 checkpoints store an untied head; transformers 5 saves only
	// `shared` and ties the head to it.
	if !cfg.TieWordEmbeddings || b.Has(prefix+"lm_head.weight") {
		m.lmHead = b.Linear(prefix+"lm_head", cfg.VocabSize, d, false)
	} else {
		m.lmHead = runtime.Linear{W: m.shared}
	}
	return m
}

// VocabSize is the number of logits per step.
func (m *Model) VocabSize() int { return m.cfg.VocabSize }

// ContextLength bounds the encoder input plus the generated tokens.
func (m *Model) ContextLength() int { return m.maxContext }

// Embed gathers rows of the shared embedding (T5 does not scale them).
func (m *Model) Embed(ids []int) (*runtime.Tensor, error) {
	for _, id := range ids {
		if id < 0 || id >= m.cfg.VocabSize {
			return nil, fmt.Errorf("t5: token id %d outside the vocabulary of %d", id, m.cfg.VocabSize)
		}
	}
	out := m.be.NewTensor(len(ids), m.cfg.DModel) // [len(ids), d_model]
	m.be.Embed(m.shared, ids, out)
	return out, nil
}

func (m *Model) rms(x *runtime.Tensor, w []float32) *runtime.Tensor {
	return m.be.RMSNorm(x, w, float32(m.cfg.LayerNormEpsilon))
}

// positionBias returns [heads, tq, tk] biases for queries at qStart.. and keys at
// 0..tk-1, in buf when it has room. They depend on positions only (the table is a
// weight), so they are made on the host and uploaded.
func (m *Model) positionBias(table []float32, tq, tk, qStart int, bidirectional bool, buf []float32) []float32 {
	h := m.heads
	out := buf[:0]
	if n := h * tq * tk; cap(out) >= n {
		out = out[:n]
	} else {
		out = make([]float32, n, 2*n) // room for the next steps of a growing sequence
	}
	for i := 0; i < tq; i++ {
		for j := 0; j < tk; j++ {
			bucket := relativeBucket(j-(qStart+i), bidirectional, m.cfg.RelativeAttentionNumBuckets, m.cfg.RelativeAttentionMaxDistance)
			for hh := 0; hh < h; hh++ {
				out[(hh*tq+i)*tk+j] = table[bucket*h+hh]
			}
		}
	}
	return out
}

// relativeBucket maps a key-minus-query distance to a bucket the way transformers'
// T5Attention._relative_position_bucket does, with the log branch in float32 as torch
// computes it.
func relativeBucket(rel int, bidirectional bool, numBuckets, maxDistance int) int {
	bucket := 0
	n := numBuckets
	if bidirectional {
		n /= 2
		if rel > 0 {
			bucket += n
		}
		if rel < 0 {
			rel = -rel
		}
	} else {
		rel = max(-rel, 0)
	}
	maxExact := n / 2
	if rel < maxExact {
		return bucket + rel
	}
	l := float32(math.Log(float64(float32(rel) / float32(maxExact))))
	l /= float32(math.Log(float64(maxDistance) / float64(maxExact)))
	large := maxExact + int(l*float32(n-maxExact))
	return bucket + min(large, n-1)
}

// attend runs one attention block of queries from the normed input x over keys and
// values, and adds its output to dst.
func (m *Model) attend(a *attention, x, keys, values, bias *runtime.Tensor, causal bool, offset int, dst *runtime.Tensor, sp *runtime.Spent) {
	q := m.be.Linear(x, a.q)
	ctx := m.be.Attention(q, keys, values, runtime.AttentionParams{
		Heads: m.heads, HeadDim: m.headDim, Scale: 1, Bias: bias, Causal: causal, QueryOffset: offset,
	})
	runtime.LinearAdd(m.be, ctx, a.o, dst)
	sp.Give(q, ctx)
}

// feedForward adds the feed-forward block's output for the normed input x to dst.
func (m *Model) feedForward(x *runtime.Tensor, ff *feedForward, dst *runtime.Tensor, sp *runtime.Spent) {
	h := runtime.LinearAct(m.be, x, ff.wi, ff.act)
	if ff.gated {
		g := m.be.Linear(x, ff.wi1)
		m.be.MulInPlace(h, g)
		sp.Give(g)
	}
	runtime.LinearAdd(m.be, h, ff.wo, dst)
	sp.Give(h)
}

// encode runs the encoder stack over the input embeddings.
func (m *Model) encode(x *runtime.Tensor) *runtime.Tensor {
	n := x.Rows()
	bias := m.be.FromHost(m.positionBias(m.encRelBias, n, n, 0, true, nil), m.heads, n, n)
	x = runtime.Clone(m.be, x)
	sp := &runtime.Spent{Backend: m.be}
	for i := range m.encoder {
		blk := &m.encoder[i]
		h := m.rms(x, blk.selfNorm)
		k, v := m.be.Linear(h, blk.self.k), m.be.Linear(h, blk.self.v)
		m.attend(&blk.self, h, k, v, bias, false, 0, x, sp)
		sp.Give(h, k, v)
		h = m.rms(x, blk.ffNorm)
		m.feedForward(h, &blk.ff, x, sp)
		sp.Give(h)
	}
	out := m.rms(x, m.encFinal)
	sp.Give(x, bias)
	return out
}

// crossKV holds each decoder layer's keys and values of the encoder output, computed once.
type crossKV struct{ k, v []*runtime.Tensor }

func (m *Model) crossKeys(enc *runtime.Tensor) crossKV {
	c := crossKV{}
	for i := range m.decoder {
		a := m.decoder[i].cross
		c.k = append(c.k, m.be.Linear(enc, a.k))
		c.v = append(c.v, m.be.Linear(enc, a.v))
	}
	return c
}

// decode runs decoder tokens ids (positions s.cache.Len()..) and returns the logits
// of the last. x, the embeddings of ids, is overwritten.
func (m *Model) decode(x *runtime.Tensor, s *sequence) *runtime.Tensor {
	cache, sp := s.cache, &s.spent
	start, n := cache.Len(), x.Rows()
	bias := s.uploadBias(n, start+n, start)
	for i := range m.decoder {
		blk := &m.decoder[i]
		h := m.rms(x, blk.selfNorm)
		k, v := m.be.Linear(h, blk.self.k), m.be.Linear(h, blk.self.v)
		keys, values := cache.Append(i, k, v) // copies k and v
		sp.Give(k, v)
		m.attend(&blk.self, h, keys, values, bias, true, start, x, sp)
		sp.Give(h)
		h = m.rms(x, blk.crossNorm)
		m.attend(blk.cross, h, s.cross.k[i], s.cross.v[i], nil, false, 0, x, sp)
		sp.Give(h)
		h = m.rms(x, blk.ffNorm)
		m.feedForward(h, &blk.ff, x, sp)
		sp.Give(h)
	}
	last := m.rms(x.RowsView(n-1, n, &s.lastRow), m.decFinal)
	if m.scaleOutputs {
		m.be.Scale(last, float32(1/math.Sqrt(float64(m.cfg.DModel)))) // tied head: d_model^-0.5
	}
	logits := m.be.Linear(last, m.lmHead)
	sp.Give(last)
	return logits
}

// uploadBias makes the decoder's self-attention biases [heads, tq, tk] for queries
// from qStart on the backend, in a tensor kept at its largest size.
func (s *sequence) uploadBias(tq, tk, qStart int) *runtime.Tensor {
	m := s.m
	s.biasHost = m.positionBias(m.decRelBias, tq, tk, qStart, false, s.biasHost)
	if s.biasStore == nil || s.biasStore.Numel() < len(s.biasHost) {
		runtime.Recycle(m.be, s.biasStore)
		s.biasStore = m.be.NewTensor(max(cap(s.biasHost), len(s.biasHost)))
	}
	m.be.Upload(s.biasStore.View(&s.biasView, len(s.biasHost)), s.biasHost)
	return s.biasStore.View(&s.biasView, m.heads, tq, tk)
}

// Start encodes the input embeddings and feeds the decoder start token, with the
// decoder's cache sized for maxNew tokens.
func (m *Model) Start(embeds *runtime.Tensor, maxNew int, allLogits bool) (runtime.Sequence, *runtime.Tensor, error) {
	if embeds.Rows() > m.maxContext {
		return nil, nil, fmt.Errorf("t5: %d input positions exceed the context of %d", embeds.Rows(), m.maxContext)
	}
	enc := m.encode(embeds)
	s := &sequence{m: m, cross: m.crossKeys(enc), encLen: embeds.Rows(), spent: runtime.Spent{Backend: m.be}}
	runtime.Recycle(m.be, enc)
	room := max(maxNew, 1) + 1 // the start token, then the new ones
	s.cache = runtime.NewKVCache(m.be, len(m.decoder), m.heads*m.headDim, room)
	s.biasHost = make([]float32, 0, m.heads*room)
	s.tokens = make([]int, 0, room)
	if err := s.Feed(m.cfg.DecoderStartTokenID); err != nil {
		return nil, nil, err
	}
	var all *runtime.Tensor
	if allLogits {
		all = runtime.Clone(m.be, s.logits)
	}
	return s, all, nil
}

type sequence struct {
	m         *Model
	cross     crossKV
	cache     *runtime.KVCache
	tokens    []int
	logits    *runtime.Tensor // [1, vocab]; goes back to the backend at the next Feed
	encLen    int
	x         *runtime.Tensor // [1, d_model]: the fed token's embedding, overwritten by decode
	biasHost  []float32       // the self-attention position biases, made on the host
	biasStore *runtime.Tensor // ... and on the backend, at their largest size so far
	biasView  runtime.Tensor  // the step's [heads, tq, tk] view of biasStore
	lastRow   runtime.Tensor  // the view of the last decoder row, reused
	spent     runtime.Spent
}

// Logits are valid until the next Feed on this sequence, which reuses their memory.
func (s *sequence) Logits() *runtime.Tensor  { return s.logits }
func (s *sequence) Len() int                 { return s.encLen + len(s.tokens) }
func (s *sequence) Backend() runtime.Backend { return s.m.be }

func (s *sequence) Feed(token int) error {
	m := s.m
	if token < 0 || token >= m.cfg.VocabSize {
		return fmt.Errorf("t5: token id %d outside the vocabulary of %d", token, m.cfg.VocabSize)
	}
	s.tokens = append(s.tokens, token)
	x := s.x
	if m.noCache {
		s.cache = runtime.NewKVCache(m.be, len(m.decoder), m.heads*m.headDim, len(s.tokens))
		var err error
		if x, err = m.Embed(s.tokens); err != nil {
			return err
		}
	} else {
		if x == nil {
			s.x = m.be.NewTensor(1, m.cfg.DModel)
			x = s.x
		}
		m.be.Embed(m.shared, s.tokens[len(s.tokens)-1:], x)
	}
	logits := m.decode(x, s)
	s.spent.Give(s.logits)
	s.logits = logits
	return nil
}

func (s *sequence) Clone() runtime.Sequence {
	return &sequence{m: s.m, cross: s.cross, cache: s.cache.Clone(), encLen: s.encLen,
		tokens: append(make([]int, 0, cap(s.tokens)), s.tokens...), logits: runtime.Clone(s.m.be, s.logits),
		biasHost: make([]float32, 0, cap(s.biasHost)), spent: runtime.Spent{Backend: s.m.be}}
}
