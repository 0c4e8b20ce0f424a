package blip2

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
)

type layerNorm struct{ weight, bias []float32 }

type vitLayer struct {
	norm1, norm2 layerNorm      // [hidden]
	qkv          runtime.Linear // [3·hidden, hidden]; K's third of the bias is zero
	proj         runtime.Linear // [hidden, hidden]
	fc1          runtime.Linear // [intermediate, hidden]
	fc2          runtime.Linear // [hidden, intermediate]
}

// VisionModel is BLIP-2's ViT (EVA ViT-g/14 in the public checkpoints): patch
// convolution, class token, learned positions, pre-LN layers, post layer norm.
type VisionModel struct {
	cfg       hfconfig.VisionConfig
	patch     runtime.Linear // conv kernel [hidden, 3, p, p] used as a matrix [hidden, 3·p·p]
	class     []float32      // [hidden]
	positions []float32      // [patches+1, hidden]
	layers    []vitLayer
	post      layerNorm
}

func bindVision(b *weights.Binder, cfg hfconfig.VisionConfig) *VisionModel {
	d, p := cfg.HiddenSize, cfg.PatchSize
	grid := cfg.ImageSize / p
	v := &VisionModel{cfg: cfg}
	const pre = "vision_model."
	v.patch = b.LinearShaped(patchEmbedding, []int{d, cfg.NumChannels, p, p}, true)
	v.class = b.Tensor(pre+"embeddings.class_embedding", 1, 1, d)
	v.positions = b.Tensor(pre+"embeddings.position_embedding", 1, grid*grid+1, d)
	norm := func(name string) layerNorm {
		return layerNorm{b.Tensor(name+".weight", d), b.Tensor(name+".bias", d)}
	}
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		lp := fmt.Sprintf("%sencoder.layers.%d.", pre, i)
		v.layers = append(v.layers, vitLayer{
			norm1: norm(lp + "layer_norm1"),
			qkv:   b.Linear(lp+"self_attn.qkv", 3*d, d, cfg.QKVBias),
			proj:  b.Linear(lp+"self_attn.projection", d, d, true),
			norm2: norm(lp + "layer_norm2"),
			fc1:   b.Linear(lp+"mlp.fc1", cfg.IntermediateSize, d, true),
			fc2:   b.Linear(lp+"mlp.fc2", d, cfg.IntermediateSize, true),
		})
	}
	v.post = norm(pre + "post_layernorm")
	return v
}

// patchEmbedding and firstEncoderWeight name the patch convolution and the weight of
// the first of the encoder's linear layers, whose form patchLikeEncoder follows.
const (
	patchEmbedding     = "vision_model.embeddings.patch_embedding"
	firstEncoderWeight = "vision_model.encoder.layers.0.self_attn.qkv.weight"
)

// patchLikeEncoder gives the patch convolution the int8 form of the encoder's linear
// layers when they run W8A8: quantized in memory, a scale per output channel, int8
// activations per patch. Checkpoints keep it float (edge quantize stores only 2-D
// matrices in int8), and as float it took 8 % of the shapes model's int8 image path on
// one thread, a 196×768×192 product at fp32 speed beside int8 ones. It returns the
// change in weight bytes.
func (v *VisionModel) patchLikeEncoder() int64 {
	w := v.patch.W
	if len(v.layers) == 0 || !v.layers[0].qkv.W.ActInt8 || w.Quantized() || w.Int4() {
		return 0
	}
	before := w.Bytes()
	q, scales, row := make([]int8, w.Out*w.In), make([]float32, w.Out), make([]float32, w.In)
	for r := range w.Out {
		w.RowTo(r, row)
		scales[r] = quant.QuantizeRow(row, q[r*w.In:(r+1)*w.In])
	}
	w.F32, w.Half, w.BF16 = nil, nil, false
	w.I8, w.Scales, w.ActInt8 = q, scales, true
	return int64(w.Bytes() - before)
}

// Forward returns the post-layer-normed hidden states [patches+1, hidden] of pixels
// [channels, size, size].
func (v *VisionModel) Forward(be runtime.Backend, pixels *runtime.Tensor) (*runtime.Tensor, error) {
	return v.ForwardBatch(be, pixels)
}

// ForwardBatch runs several images at once (each pixels [channels, size, size]): their
// tokens are stacked, so every linear layer is one product over all of them, and each
// image's tokens attend only to its own. It returns [images·(patches+1), hidden], image i
// at rows i·(patches+1).
func (v *VisionModel) ForwardBatch(be runtime.Backend, pixels ...*runtime.Tensor) (*runtime.Tensor, error) {
	c, s := v.cfg.NumChannels, v.cfg.ImageSize
	for _, px := range pixels {
		if len(px.Shape) != 3 || px.Shape[0] != c || px.Shape[1] != s || px.Shape[2] != s {
			return nil, fmt.Errorf("vision: pixel values %v, want [%d %d %d]", px.Shape, c, s, s)
		}
	}
	if len(pixels) == 0 {
		return nil, fmt.Errorf("vision: no image")
	}
	d := v.cfg.HiddenSize
	xs := make([]*runtime.Tensor, len(pixels))
	for i, px := range pixels {
		patches := runtime.Patches(be, px, v.cfg.PatchSize) // [patches, 3·p·p]
		emb := be.Linear(patches, v.patch)                  // the patch convolution: [patches, hidden]
		class := be.FromHost(v.class, 1, d)
		xs[i] = runtime.ConcatRows(be, class, emb) // [patches+1, hidden]
		runtime.Recycle(be, patches, emb, class)
		be.AddRows(xs[i], v.positions, 0)
	}
	x := xs[0]
	if len(xs) > 1 {
		x = runtime.ConcatRows(be, xs...) // [images·(patches+1), hidden]
		runtime.Recycle(be, xs...)
	}
	heads := v.cfg.NumAttentionHeads
	hd := d / heads
	eps := float32(v.cfg.LayerNormEps)
	attn := runtime.AttentionParams{Heads: heads, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), Seqs: len(pixels)}
	act := runtime.ParseActivation(v.cfg.HiddenAct, runtime.ActGELU)
	// Each intermediate goes back to the backend once used (runtime.Recycle), so the
	// next layer's results reuse its memory.
	for i := range v.layers {
		l := &v.layers[i]
		h := be.LayerNorm(x, l.norm1.weight, l.norm1.bias, eps)
		qkv := be.Linear(h, l.qkv) // [T, 3·hidden]
		ctx := be.AttentionQKV(qkv, attn)
		runtime.Recycle(be, h, qkv)
		runtime.LinearAdd(be, ctx, l.proj, x)
		h = be.LayerNorm(x, l.norm2.weight, l.norm2.bias, eps)
		f := runtime.LinearAct(be, h, l.fc1, act)
		runtime.LinearAdd(be, f, l.fc2, x)
		runtime.Recycle(be, ctx, h, f)
	}
	defer runtime.Recycle(be, x)
	return be.LayerNorm(x, v.post.weight, v.post.bias, eps), nil
}
