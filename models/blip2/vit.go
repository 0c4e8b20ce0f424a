package blip2

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
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
	v.patch = b.LinearShaped(pre+"embeddings.patch_embedding", []int{d, cfg.NumChannels, p, p}, true)
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

// patches cuts CHW pixels into one row per patch (row-major over the grid), each row
// ordered (channel, ky, kx) like the flattened convolution kernel.
func (v *VisionModel) patches(pixels []float32) *runtime.Tensor {
	c, s, p := v.cfg.NumChannels, v.cfg.ImageSize, v.cfg.PatchSize
	grid := s / p
	out := runtime.NewTensor(grid*grid, c*p*p)
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			row := out.Row(gy*grid + gx)
			i := 0
			for ch := 0; ch < c; ch++ {
				for ky := 0; ky < p; ky++ {
					src := pixels[ch*s*s+(gy*p+ky)*s+gx*p:]
					i += copy(row[i:i+p], src[:p])
				}
			}
		}
	}
	return out
}

// Forward returns the post-layer-normed hidden states [patches+1, hidden].
func (v *VisionModel) Forward(be runtime.Backend, pixels []float32) (*runtime.Tensor, error) {
	c, s := v.cfg.NumChannels, v.cfg.ImageSize
	if len(pixels) != c*s*s {
		return nil, fmt.Errorf("vision: %d pixel values, want %d×%d×%d", len(pixels), c, s, s)
	}
	d := v.cfg.HiddenSize
	emb := be.Linear(v.patches(pixels), v.patch)
	x := runtime.ConcatRows(runtime.FromData(append([]float32(nil), v.class...), 1, d), emb)
	for i := range x.Data {
		x.Data[i] += v.positions[i]
	}
	heads := v.cfg.NumAttentionHeads
	hd := d / heads
	eps := float32(v.cfg.LayerNormEps)
	for i := range v.layers {
		l := &v.layers[i]
		h := be.LayerNorm(x, l.norm1.weight, l.norm1.bias, eps)
		q, k, val := splitColumns(be.Linear(h, l.qkv), 3)
		ctx := be.Attention(q, k, val, runtime.AttentionParams{Heads: heads, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd)))})
		a := be.Linear(ctx, l.proj)
		be.AddInPlace(x, a)
		h = be.LayerNorm(x, l.norm2.weight, l.norm2.bias, eps)
		h = be.Linear(h, l.fc1)
		be.Activate(h, activation(v.cfg.HiddenAct))
		be.AddInPlace(x, be.Linear(h, l.fc2))
	}
	return be.LayerNorm(x, v.post.weight, v.post.bias, eps), nil
}

// splitColumns cuts [rows, parts·w] into parts tensors of [rows, w].
func splitColumns(t *runtime.Tensor, parts int) (a, b, c *runtime.Tensor) {
	rows, w := t.Rows(), t.Cols()/parts
	outs := make([]*runtime.Tensor, parts)
	for p := range outs {
		outs[p] = runtime.NewTensor(rows, w)
		for r := 0; r < rows; r++ {
			copy(outs[p].Row(r), t.Data[r*t.Cols()+p*w:r*t.Cols()+(p+1)*w])
		}
	}
	return outs[0], outs[1], outs[2]
}

func activation(name string) runtime.Activation {
	switch name {
	case "relu":
		return runtime.ActReLU
	case "gelu_new", "gelu_pytorch_tanh", "quick_gelu":
		return runtime.ActGELUTanh
	default:
		return runtime.ActGELU
	}
}
