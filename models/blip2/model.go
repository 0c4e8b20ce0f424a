// Package blip2 is BLIP-2 (transformers' Blip2ForConditionalGeneration): the image path
// (ViT → Q-Former → projection) and how its output enters the language model.
//
// Its room in docs/architecture.md: model: imports everything below it in the list (runtime and its engines, formats, quant, weights, opt, t5).
package blip2

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/opt"
	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/models/t5"
	"github.com/edgevlm/edge/models/tokenizer"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
)

// Model is a loaded BLIP-2 checkpoint.
type Model struct {
	Dir        string
	Config     *hfconfig.Config
	Preprocess preprocess.Config
	Tokenizer  *tokenizer.Tokenizer
	Backend    runtime.Backend
	Vision     *VisionModel
	QFormer    *QFormer
	Projection runtime.Linear // [lmEmbed, qformerHidden]
	LM         runtime.LanguageModel
	// ImageEncoder, when set, replaces the image path (ViT → Q-Former → projection) by
	// another engine computing the same prefix [numQuery, lmEmbed] from pixel values
	// (a TFLite file, for instance), returned as host values; the language model stays
	// as it is.
	ImageEncoder func(pixels []float32) ([]float32, error)
	// WeightBytes is the storage of every bound tensor as the runtime holds it.
	WeightBytes int64
	archive     *safetensors.Archive
	imageRuns   atomic.Uint64 // EncodePixels calls: how often the image path ran
	prefixes    prefixes      // recent camera frames' prefixes (FramePrefix)
}

// Options say how to run a model.
type Options struct {
	Backend runtime.Backend // required
	// NoCache makes the language model recompute every step (a check of the cache).
	NoCache bool
	// ContextLength overrides the language model's context (0: the model's own; T5
	// has none of its own and gets 512).
	ContextLength int
	// Int8 quantizes the float weights while loading, as `edge quantize` would write them
	// (W8A8 for the vision encoder and Q-Former, weight-only for the language model).
	Int8 bool
	// Int4 quantizes as Int8 does, but stores the language model's linear layers in
	// int4 groups of Int4Group inputs (0: DefaultInt4Group) with fp16 scales.
	Int4      bool
	Int4Group int
	// DType is the precision the float matrices are kept in (the zero value keeps
	// 16-bit ones as stored and fp32 as fp32); Int8 wins for the matrices it quantizes.
	DType weights.DType
	// LMW8A8 also runs the language model's linear layers with int8 activations.
	LMW8A8 bool
	// ImagePathOnly binds the vision model, Q-Former and projection but no language
	// model (LM stays nil): what an export of the image path needs.
	ImagePathOnly bool
	// Progress, when set, sees the stored bytes bound so far and in all as loading goes
	// (a full-size checkpoint takes tens of seconds).
	Progress func(done, total int64)
}

// lmEmbedDim is the width of the language model's input embeddings, which the
// projection must produce.
func lmEmbedDim(c hfconfig.TextConfig) int {
	if c.ModelType == "t5" {
		return c.DModel
	}
	if c.WordEmbedProjDim != 0 {
		return c.WordEmbedProjDim
	}
	return c.HiddenSize
}

// bind declares every tensor of the model; with a nil store it is a dry run.
func bind(b *weights.Binder, cfg *hfconfig.Config, opts Options) *Model {
	m := &Model{Config: cfg, Backend: opts.Backend}
	m.Vision = bindVision(b, cfg.Vision)
	m.QFormer = bindQFormer(b, cfg.QFormer, cfg.NumQueryTokens, cfg.Vision.HiddenSize)
	m.Projection = b.Linear("language_projection", lmEmbedDim(cfg.Text), cfg.QFormer.HiddenSize, true)
	if opts.ImagePathOnly {
		return m
	}
	switch cfg.Text.ModelType {
	case "t5":
		m.LM = t5.Bind(b, "language_model.", cfg.Text, opts.Backend, t5.Options{NoCache: opts.NoCache, ContextLength: opts.ContextLength})
	default:
		m.LM = opt.Bind(b, "language_model.", cfg.Text, opts.Backend, opt.Options{NoCache: opts.NoCache})
	}
	return m
}

// ExpectedTensors lists every tensor (name and shape) a checkpoint with this config must
// hold, in binding order, without reading any weights.
func ExpectedTensors(cfg *hfconfig.Config) []weights.Spec {
	b := weights.NewBinder(nil)
	bind(b, cfg, Options{})
	return b.Specs()
}

// quantization tells the binder which int8 layers also quantize activations, and what
// to quantize on load.
func quantization(cfg *hfconfig.Config, opts Options) weights.Quantization {
	w8a8 := w8a8Modules
	if cfg.Quantization != nil {
		w8a8 = cfg.Quantization.W8A8
	}
	q := weights.Quantization{
		W8A8: func(name string) bool {
			for _, p := range w8a8 {
				if strings.HasPrefix(name, p) {
					return true
				}
			}
			return opts.LMW8A8 && strings.HasPrefix(name, "language_model.") && roleOf(name, []int{1, 1}, true) == quant.W8A8
		},
		QuantizeRow: quant.QuantizeRow,
	}
	if opts.Int8 || opts.Int4 {
		q.OnLoad = func(name string, shape []int) bool { return roleOf(name, shape, opts.LMW8A8) != quant.Keep }
	}
	if cfg.Quantization != nil && cfg.Quantization.Method == hfconfig.MethodEdgeInt4 {
		q.Group = cfg.Quantization.GroupSize // the folder's packed int4 weights
	}
	if opts.Int4 {
		q.OnLoadInt4 = func(name string) bool { return isInt4(name, []int{1, 1}) }
		q.Group, q.QuantizeRowQ4 = opts.Int4Group, quant.QuantizeRowQ4
		if q.Group == 0 {
			q.Group = DefaultInt4Group
		}
	}
	return q
}

// progress turns each bound tensor into stored bytes done of those of every tensor the
// model binds (int8 weights with their scales).
func progress(cfg *hfconfig.Config, store weights.Store, opts Options) func(string) {
	size := func(name string) int64 {
		shape, dtype, ok := store.Lookup(name)
		if !ok {
			return 0
		}
		n := int64(map[string]int{"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "U8": 1}[dtype])
		for _, d := range shape {
			n *= int64(d)
		}
		return n
	}
	dry := weights.NewBinder(nil)
	bind(dry, cfg, opts)
	var total, done int64
	for _, s := range dry.Specs() {
		total += size(s.Name)
		if scale := strings.TrimSuffix(s.Name, ".weight") + ".weight_scale"; scale != s.Name {
			total += size(scale) // an int8 weight's scales, which a dry run does not ask for
		}
	}
	return func(name string) {
		done += size(name)
		opts.Progress(min(done, total), total)
	}
}

// Load reads a BLIP-2 checkpoint folder as the Hugging Face hub lays it out.
func Load(dir string, opts Options) (*Model, error) {
	if opts.Backend == nil {
		return nil, errors.New("blip2: no backend given")
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model %s is a file: give the folder holding config.json and the safetensors", dir)
	}
	cfg, err := hfconfig.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	pre, err := preprocess.LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if pre.Height != cfg.Vision.ImageSize || pre.Width != cfg.Vision.ImageSize {
		return nil, fmt.Errorf("model %s: preprocessor size %dx%d does not match the vision image_size %d", dir, pre.Width, pre.Height, cfg.Vision.ImageSize)
	}
	arc, err := safetensors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	m, err := FromStore(cfg, weights.FromArchive(arc), tok, opts)
	if err != nil {
		arc.Close()
		return nil, fmt.Errorf("model %s: %w", filepath.Base(dir), err)
	}
	m.Dir, m.Preprocess, m.archive = dir, pre, arc
	return m, nil
}

// FromStore builds a model whose tensors come from store: a checkpoint, or the random
// weights of RandomStore (benchmarks of a real checkpoint's shapes without its
// files). cfg gives the shapes; tok may be nil, and then only token ids can be given
// (InputIDs fails). The preprocessing is the public checkpoints' at cfg's image size.
func FromStore(cfg *hfconfig.Config, store weights.Store, tok *tokenizer.Tokenizer, opts Options) (*Model, error) {
	if opts.Backend == nil {
		return nil, errors.New("blip2: no backend given")
	}
	if store == nil {
		return nil, errors.New("blip2: no weight store given")
	}
	if opts.Int4 && (opts.Int4Group < 0 || opts.Int4Group%quant.Q4Block != 0) {
		return nil, fmt.Errorf("blip2: int4 group size %d is not a positive multiple of %d", opts.Int4Group, quant.Q4Block)
	}
	b := weights.NewBinder(store)
	b.SetQuantization(quantization(cfg, opts))
	b.SetDType(opts.DType)
	if opts.Progress != nil {
		b.SetProgress(progress(cfg, store, opts))
	}
	m := bind(b, cfg, opts)
	if err := b.Err(); err != nil {
		return nil, err
	}
	m.Preprocess = preprocess.DefaultConfig()
	m.Preprocess.Height, m.Preprocess.Width = cfg.Vision.ImageSize, cfg.Vision.ImageSize
	m.Tokenizer, m.WeightBytes = tok, b.Bytes()+m.Vision.patchLikeEncoder()
	return m, nil
}

// Close releases the checkpoint's memory mapping. Float32 and int8 matrices are read
// from it in place where the layout allows, so the model must not be used after.
func (m *Model) Close() error {
	m.dropPrefixes()
	if m.archive == nil {
		return nil
	}
	return m.archive.Close()
}

// ImageFeatures are the image path's named intermediates.
type ImageFeatures struct {
	Vision  *runtime.Tensor // [patches+1, visionHidden], after post_layernorm
	QFormer *runtime.Tensor // [numQuery, qformerHidden]
	Prefix  *runtime.Tensor // [numQuery, lmEmbed]: the language_projection output
}

// PixelValues preprocesses an image exactly as the checkpoint's processor does.
func (m *Model) PixelValues(img image.Image) ([]float32, error) {
	return preprocess.Apply(img, m.Preprocess)
}

// ImagePathRuns says how many times the image path (or the ImageEncoder standing in for
// it) has run: callers that reuse a prefix can show they did.
func (m *Model) ImagePathRuns() uint64 { return m.imageRuns.Load() }

// EncodePixels runs the image path on preprocessed pixel values [3, size, size].
func (m *Model) EncodePixels(pixels []float32) (*ImageFeatures, error) {
	m.imageRuns.Add(1)
	if m.ImageEncoder != nil {
		prefix, err := m.ImageEncoder(pixels)
		if err != nil {
			return nil, fmt.Errorf("image encoder: %w", err)
		}
		q, e := m.Config.NumQueryTokens, lmEmbedDim(m.Config.Text)
		if len(prefix) != q*e {
			return nil, fmt.Errorf("image encoder: %d values, want %d queries × %d", len(prefix), q, e)
		}
		return &ImageFeatures{Prefix: m.Backend.FromHost(prefix, q, e)}, nil
	}
	c, size := m.Config.Vision.NumChannels, m.Config.Vision.ImageSize
	if len(pixels) != c*size*size {
		return nil, fmt.Errorf("vision: %d pixel values, want %d×%d×%d", len(pixels), c, size, size)
	}
	px := m.Backend.FromHost(pixels, c, size, size)
	v, err := m.Vision.Forward(m.Backend, px)
	runtime.Recycle(m.Backend, px)
	if err != nil {
		return nil, err
	}
	q := m.QFormer.Forward(m.Backend, v)
	return &ImageFeatures{Vision: v, QFormer: q, Prefix: m.Backend.Linear(q, m.Projection)}, nil
}

// InputIDs tokenises prompt the way Blip2Processor does: with the image token repeated
// num_query_tokens times in front (current layout), or the text alone (older layout,
// where the image prefix is concatenated in front of the embeddings).
func (m *Model) InputIDs(prompt string) ([]int, error) {
	if m.Tokenizer == nil {
		return nil, errors.New("blip2: this model has no tokenizer; give token ids")
	}
	text, err := m.Tokenizer.Encode(prompt, true)
	if err != nil {
		return nil, fmt.Errorf("tokenize prompt: %w", err)
	}
	if m.Config.ImageTokenIndex < 0 {
		return text, nil
	}
	ids := make([]int, 0, m.Config.NumQueryTokens+len(text))
	for i := 0; i < m.Config.NumQueryTokens; i++ {
		ids = append(ids, m.Config.ImageTokenIndex)
	}
	return append(ids, text...), nil
}

// InputEmbeddings builds the language model's input: the image prefix in place of the
// image tokens (masked_scatter in transformers), or in front of the text (older layout).
// Both give the same rows: prefix, then the prompt.
func (m *Model) InputEmbeddings(prefix *runtime.Tensor, ids []int) (*runtime.Tensor, error) {
	emb, err := m.LM.Embed(ids)
	if err != nil {
		return nil, err
	}
	be := m.Backend
	if m.Config.ImageTokenIndex < 0 {
		out := runtime.ConcatRows(be, prefix, emb)
		runtime.Recycle(be, emb)
		return out, nil
	}
	next := 0
	var row runtime.Tensor
	for i, id := range ids {
		if id != m.Config.ImageTokenIndex {
			continue
		}
		if next >= prefix.Rows() {
			return nil, fmt.Errorf("blip2: the prompt has more image tokens than the %d image embeddings", prefix.Rows())
		}
		be.CopyRows(emb, i, prefix.RowsView(next, next+1, &row))
		next++
	}
	if next != prefix.Rows() {
		return nil, fmt.Errorf("blip2: the prompt has %d image tokens for %d image embeddings", next, prefix.Rows())
	}
	return emb, nil
}

// PartParams is the parameter count of one part of the model.
type PartParams struct {
	Name   string
	Params int64
}

// ParameterCounts counts the parameters of the vision model, Q-Former, projection and
// language model from the tensors the config implies.
func ParameterCounts(cfg *hfconfig.Config) []PartParams {
	parts := []PartParams{{"vision", 0}, {"qformer", 0}, {"projection", 0}, {"language model", 0}}
	for _, s := range ExpectedTensors(cfg) {
		n := int64(1)
		for _, d := range s.Shape {
			n *= int64(d)
		}
		switch {
		case strings.HasPrefix(s.Name, "vision_model."):
			parts[0].Params += n
		case strings.HasPrefix(s.Name, "qformer.") || s.Name == "query_tokens":
			parts[1].Params += n
		case strings.HasPrefix(s.Name, "language_projection."):
			parts[2].Params += n
		default:
			parts[3].Params += n
		}
	}
	return parts
}

// StoredDTypes counts the checkpoint's tensors by stored dtype.
func (m *Model) StoredDTypes() map[string]int {
	out := map[string]int{}
	if m.archive == nil {
		return out
	}
	for _, n := range m.archive.Names() {
		if info, ok := m.archive.Info(n); ok {
			out[string(info.DType)]++
		}
	}
	return out
}
