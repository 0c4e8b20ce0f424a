// Package tflite exports BLIP-2's image path (patch convolution, ViT, Q-Former with
// cross-attention, projection) as a TFLite flatbuffer (schema version 3), and checks
// such files before a TFLite interpreter sees them.
//
// The graph follows models/blip2 operation for operation: layer norms are written out
// as MEAN/SUB/MUL/RSQRT/ADD, attention as BATCH_MATMUL and SOFTMAX, GELU is TFLite's
// exact (erf) GELU. With Int8 the linear layers hold int8 weights with one scale per
// output channel and float activations (dynamic-range quantization, run by TFLite's
// hybrid kernels); the patch convolution, norms and embeddings stay float.
package tflite

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
)

// Names of the exported model's input and output, in its SignatureDef and tensors.
const (
	InputName  = "pixel_values" // [1, channels, image_size, image_size] float32
	OutputName = "prefix"       // [1, num_query_tokens, lm_embed] float32
)

// Options say how to export.
type Options struct {
	// Int8 stores the linear layers as int8 with per-channel scales (dynamic range).
	Int8 bool
}

// Export reads the BLIP-2 checkpoint folder dir (Hugging Face layout, float or int8
// safetensors) and returns its image path as a .tflite flatbuffer.
func Export(ctx context.Context, dir string, opts Options) ([]byte, error) {
	cfg, err := hfconfig.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	arc, err := safetensors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	defer arc.Close()
	p, err := bindImagePath(weights.FromArchive(arc), cfg)
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	g, err := p.build(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("tflite export %s: %w", dir, err)
	}
	kind := "fp32"
	if opts.Int8 {
		kind = "int8 dynamic-range"
	}
	desc := fmt.Sprintf("edge: BLIP-2 image path (vision, Q-Former, projection) of %s, %s weights", filepath.Base(filepath.Clean(dir)), kind)
	return g.serialize(desc, InputName, OutputName)
}

// WriteFile exports dir to path through a temporary file renamed into place, so path is
// never left half-written.
func WriteFile(ctx context.Context, dir, path string, opts Options) error {
	data, err := Export(ctx, dir, opts)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("tflite export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("tflite export: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tflite export: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tflite export: %w", err)
	}
	return nil
}

type norm struct{ weight, bias []float32 } // [hidden] each

type vitLayer struct {
	norm1, norm2 norm
	qkv          runtime.Linear // [3·hidden, hidden]
	proj         runtime.Linear // [hidden, hidden]
	fc1, fc2     runtime.Linear // [intermediate, hidden], [hidden, intermediate]
}

type qAttention struct {
	q, k, v, dense runtime.Linear // q, dense [hidden, hidden]; k, v [hidden, kvDim]
	norm           norm
}

type qLayer struct {
	self, cross *qAttention // cross is nil on layers without cross-attention
	fc1, fc2    runtime.Linear
	norm        norm
}

// imagePath holds the weights of the image path, bound by the names models/blip2 uses.
type imagePath struct {
	cfg       *hfconfig.Config
	patch     runtime.Linear // [hidden, channels·p·p] from the kernel [hidden, channels, p, p]
	class     []float32      // [hidden]
	positions []float32      // [patches+1, hidden]
	vit       []vitLayer
	post      norm
	queries   []float32 // [numQuery, qformerHidden]
	qIn       norm
	qLayers   []qLayer
	proj      runtime.Linear // [lmEmbed, qformerHidden]
	lmEmbed   int
}

func bindImagePath(store weights.Store, cfg *hfconfig.Config) (*imagePath, error) {
	b := weights.NewBinder(store)
	v := cfg.Vision
	d, ps := v.HiddenSize, v.PatchSize
	if d <= 0 || ps <= 0 || v.ImageSize%ps != 0 || v.NumAttentionHeads <= 0 || d%v.NumAttentionHeads != 0 {
		return nil, fmt.Errorf("vision config: hidden %d, heads %d, image %d, patch %d do not fit together", d, v.NumAttentionHeads, v.ImageSize, ps)
	}
	grid := v.ImageSize / ps
	p := &imagePath{cfg: cfg}
	vn := func(name string, width int) norm {
		return norm{b.Tensor(name+".weight", width), b.Tensor(name+".bias", width)}
	}
	const pre = "vision_model."
	p.patch = b.LinearShaped(pre+"embeddings.patch_embedding", []int{d, v.NumChannels, ps, ps}, true)
	p.class = b.Tensor(pre+"embeddings.class_embedding", 1, 1, d)
	p.positions = b.Tensor(pre+"embeddings.position_embedding", 1, grid*grid+1, d)
	for i := 0; i < v.NumHiddenLayers; i++ {
		lp := fmt.Sprintf("%sencoder.layers.%d.", pre, i)
		p.vit = append(p.vit, vitLayer{
			norm1: vn(lp+"layer_norm1", d),
			qkv:   b.Linear(lp+"self_attn.qkv", 3*d, d, v.QKVBias),
			proj:  b.Linear(lp+"self_attn.projection", d, d, true),
			norm2: vn(lp+"layer_norm2", d),
			fc1:   b.Linear(lp+"mlp.fc1", v.IntermediateSize, d, true),
			fc2:   b.Linear(lp+"mlp.fc2", d, v.IntermediateSize, true),
		})
	}
	p.post = vn(pre+"post_layernorm", d)

	q := cfg.QFormer
	qd := q.HiddenSize
	if qd <= 0 || q.NumAttentionHeads <= 0 || qd%q.NumAttentionHeads != 0 {
		return nil, fmt.Errorf("qformer config: hidden %d and %d heads do not fit together", qd, q.NumAttentionHeads)
	}
	p.queries = b.Tensor("query_tokens", 1, cfg.NumQueryTokens, qd)
	p.qIn = vn("qformer.layernorm", qd)
	attn := func(prefix string, kvDim int) *qAttention {
		return &qAttention{
			q:     b.Linear(prefix+".attention.query", qd, qd, true),
			k:     b.Linear(prefix+".attention.key", qd, kvDim, true),
			v:     b.Linear(prefix+".attention.value", qd, kvDim, true),
			dense: b.Linear(prefix+".output.dense", qd, qd, true),
			norm:  vn(prefix+".output.LayerNorm", qd),
		}
	}
	freq := max(q.CrossAttentionFrequency, 1)
	for i := 0; i < q.NumHiddenLayers; i++ {
		lp := fmt.Sprintf("qformer.encoder.layer.%d.", i)
		l := qLayer{self: attn(lp+"attention", qd)}
		if i%freq == 0 {
			l.cross = attn(lp+"crossattention", d)
		}
		l.fc1 = b.Linear(lp+"intermediate_query.dense", q.IntermediateSize, qd, true)
		l.fc2 = b.Linear(lp+"output_query.dense", qd, q.IntermediateSize, true)
		l.norm = vn(lp+"output_query.LayerNorm", qd)
		p.qLayers = append(p.qLayers, l)
	}
	// The projection's width is the language model's embedding size, whatever its kind.
	shape, _, ok := store.Lookup("language_projection.weight")
	if !ok || len(shape) != 2 {
		return nil, fmt.Errorf("tensor language_projection.weight is missing or not a matrix (shape %v)", shape)
	}
	p.lmEmbed = shape[0]
	p.proj = b.Linear("language_projection", p.lmEmbed, qd, true)
	if err := b.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// rowsOf is rows [lo, hi) of a linear layer (weight rows and bias entries).
func rowsOf(l runtime.Linear, lo, hi int) (*runtime.Weight, []float32) {
	w := l.W
	out := &runtime.Weight{Out: hi - lo, In: w.In}
	if w.Quantized() {
		out.I8, out.Scales = w.I8[lo*w.In:hi*w.In], w.Scales[lo:hi]
	} else {
		out.F32 = w.F32[lo*w.In : hi*w.In]
	}
	var bias []float32
	if l.Bias != nil {
		bias = l.Bias[lo:hi]
	}
	return out, bias
}

// build writes the graph: pixel_values [1,C,S,S] → prefix [1,Q,lmEmbed].
func (p *imagePath) build(ctx context.Context, opts Options) (*graph, error) {
	g := newGraph()
	v := p.cfg.Vision
	d, ps, c := int32(v.HiddenSize), int32(v.PatchSize), int32(v.NumChannels)
	grid := int32(v.ImageSize) / ps
	plan := blip2.QuantPlan(false)
	int8For := func(name string, w *runtime.Weight) bool {
		return opts.Int8 && plan.Role(name+".weight", []int{w.Out, w.In}) != quant.Keep
	}
	lin := func(name string, x int32, l runtime.Linear) int32 {
		return g.linear(name, x, l.W, l.Bias, int8For(name, l.W))
	}

	pixels := g.activation(InputName, 1, c, int32(v.ImageSize), int32(v.ImageSize))
	g.inputs = []int32{pixels}
	// CONV_2D wants NHWC input and an OHWI kernel.
	nhwc := g.transpose("vision_model.embeddings.nhwc", pixels, 0, 2, 3, 1)
	kernel := ohwi(floatWeights(p.patch.W), int(d), int(c), int(ps))
	filter := g.constF32("vision_model.embeddings.patch_embedding.weight", kernel, d, ps, ps, c)
	bias := g.constF32("vision_model.embeddings.patch_embedding.bias", p.patch.Bias, d)
	conv := g.activation("vision_model.embeddings.patch_embedding", 1, grid, grid, d)
	g.op(opConv2D, 1, []int32{nhwc, filter, bias}, []int32{conv}, optConv2D, conv2DOptions(ps))
	x := g.concatRows("vision_model.embeddings.tokens",
		g.constF32("vision_model.embeddings.class_embedding", p.class, 1, d),
		g.reshape("vision_model.embeddings.patches", conv, grid*grid, d))
	x = g.add("vision_model.embeddings", x, g.constF32("vision_model.embeddings.position_embedding", p.positions, grid*grid+1, d))

	heads := int32(v.NumAttentionHeads)
	scale := float32(1 / math.Sqrt(float64(d/heads)))
	eps := v.LayerNormEps
	act := runtime.ParseActivation(v.HiddenAct, runtime.ActGELU)
	for i := range p.vit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &p.vit[i]
		lp := fmt.Sprintf("vision_model.encoder.layers.%d.", i)
		h := g.layerNorm(lp+"layer_norm1", x, l.norm1.weight, l.norm1.bias, eps)
		var qkv [3]int32
		for j, part := range []string{"q", "k", "v"} {
			w, b := rowsOf(l.qkv, j*int(d), (j+1)*int(d))
			qkv[j] = g.linear(lp+"self_attn.qkv."+part, h, w, b, int8For(lp+"self_attn.qkv", l.qkv.W))
		}
		a := g.attention(lp+"self_attn", qkv[0], qkv[1], qkv[2], heads, scale)
		x = g.add(lp+"residual1", x, lin(lp+"self_attn.projection", a, l.proj))
		h = g.layerNorm(lp+"layer_norm2", x, l.norm2.weight, l.norm2.bias, eps)
		h = g.activate(lp+"mlp.act", lin(lp+"mlp.fc1", h, l.fc1), act)
		x = g.add(lp+"residual2", x, lin(lp+"mlp.fc2", h, l.fc2))
	}
	image := g.layerNorm("vision_model.post_layernorm", x, p.post.weight, p.post.bias, eps)

	q := p.cfg.QFormer
	qd, qheads := int32(q.HiddenSize), int32(q.NumAttentionHeads)
	qscale := float32(1 / math.Sqrt(float64(qd/qheads)))
	qeps, qact := q.LayerNormEps, runtime.ParseActivation(q.HiddenAct, runtime.ActGELU)
	numQ := int32(p.cfg.NumQueryTokens)
	attend := func(name string, a *qAttention, x, kv int32) int32 {
		ctxT := g.attention(name, lin(name+".attention.query", x, a.q), lin(name+".attention.key", kv, a.k), lin(name+".attention.value", kv, a.v), qheads, qscale)
		out := g.add(name+".output.residual", lin(name+".output.dense", ctxT, a.dense), x)
		return g.layerNorm(name+".output.LayerNorm", out, a.norm.weight, a.norm.bias, qeps)
	}
	x = g.layerNorm("qformer.layernorm", g.constF32("query_tokens", p.queries, numQ, qd), p.qIn.weight, p.qIn.bias, qeps)
	for i := range p.qLayers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &p.qLayers[i]
		lp := fmt.Sprintf("qformer.encoder.layer.%d.", i)
		x = attend(lp+"attention", l.self, x, x)
		if l.cross != nil {
			x = attend(lp+"crossattention", l.cross, x, image)
		}
		h := g.activate(lp+"intermediate_query.act", lin(lp+"intermediate_query.dense", x, l.fc1), qact)
		h = g.add(lp+"output_query.residual", lin(lp+"output_query.dense", h, l.fc2), x)
		x = g.layerNorm(lp+"output_query.LayerNorm", h, l.norm.weight, l.norm.bias, qeps)
	}
	prefix := lin("language_projection", x, p.proj)
	out := g.reshape(OutputName, prefix, 1, numQ, int32(p.lmEmbed))
	g.outputs = []int32{out}
	return g, nil
}

// ohwi reorders a PyTorch convolution kernel [out, in, k, k] to TFLite's [out, k, k, in].
func ohwi(w []float32, out, in, k int) []float32 {
	dst := make([]float32, len(w))
	for o := 0; o < out; o++ {
		for ci := 0; ci < in; ci++ {
			for y := 0; y < k; y++ {
				for x := 0; x < k; x++ {
					dst[((o*k+y)*k+x)*in+ci] = w[((o*in+ci)*k+y)*k+x]
				}
			}
		}
	}
	return dst
}
