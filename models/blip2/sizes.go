package blip2

import (
	"strings"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
)

// storage says how a model's weights are held: int8 where Options.Int8 quantizes,
// the language model's linear layers in int4 groups of int4 inputs (Options.Int4),
// the float matrices in 16 bits (half), float32 otherwise.
type storage struct {
	int8, lmW8A8, half bool
	int4               int
}

// tensorBytes is a tensor's storage as the runtime holds it.
func tensorBytes(s weights.Spec, st storage) int64 {
	n := int64(1)
	for _, d := range s.Shape {
		n *= int64(d)
	}
	if st.int4 > 0 && isInt4(s.Name, s.Shape) {
		return int64(s.Shape[0]) * int64(quant.Q4RowBytes(s.Shape[1], st.int4)+2*quant.Q4Groups(s.Shape[1], st.int4))
	}
	if (st.int8 || st.int4 > 0) && (roleOf(s.Name, s.Shape, st.lmW8A8) != quant.Keep || s.Name == patchEmbedding+".weight") {
		return n + 4*int64(s.Shape[0])
	}
	if st.half && s.Matrix {
		return 2 * n
	}
	return 4 * n
}

// WeightBytes is the memory the weights of cfg take when loaded (fp32, or int8 as
// Options.Int8 makes them): what a machine must hold before building the model.
func WeightBytes(cfg *hfconfig.Config, int8, lmW8A8 bool) int64 {
	return weightBytes(cfg, storage{int8: int8, lmW8A8: lmW8A8})
}

// Int4WeightBytes is WeightBytes as Options.Int4 makes them, in groups of g.
func Int4WeightBytes(cfg *hfconfig.Config, g int) int64 {
	return weightBytes(cfg, storage{int8: true, int4: g})
}

// HalfWeightBytes is WeightBytes for a model whose float matrices are fp16 or bf16
// (--dtype fp16/bf16, or a 16-bit checkpoint); vectors stay fp32.
func HalfWeightBytes(cfg *hfconfig.Config) int64 { return weightBytes(cfg, storage{half: true}) }

func weightBytes(cfg *hfconfig.Config, st storage) int64 {
	var total int64
	for _, s := range ExpectedTensors(cfg) {
		total += tensorBytes(s, st)
	}
	return total
}

// DecodeBytes is the weight storage one decoded token reads: every language-model
// matrix and vector used per step, the output head once, and neither the token
// embeddings (one row) nor the learned positions, nor, for T5, the encoder and the
// cross-attention keys and values (computed once per prompt). Divided by the memory
// bandwidth it is the least time a decoded token can take.
func DecodeBytes(cfg *hfconfig.Config, int8, lmW8A8 bool) int64 {
	return decodeBytes(cfg, storage{int8: int8, lmW8A8: lmW8A8})
}

// Int4DecodeBytes is DecodeBytes as Options.Int4 makes the weights, in groups of g.
func Int4DecodeBytes(cfg *hfconfig.Config, g int) int64 {
	return decodeBytes(cfg, storage{int8: true, int4: g})
}

// HalfDecodeBytes is DecodeBytes with 16-bit matrices.
func HalfDecodeBytes(cfg *hfconfig.Config) int64 { return decodeBytes(cfg, storage{half: true}) }

func decodeBytes(cfg *hfconfig.Config, st storage) int64 {
	specs := ExpectedTensors(cfg)
	tied := true
	for _, s := range specs {
		if s.Name == "language_model.lm_head.weight" {
			tied = false
		}
	}
	var total int64
	for _, s := range specs {
		n := s.Name
		switch {
		case !strings.HasPrefix(n, "language_model."),
			strings.Contains(n, "embed_positions"),
			strings.Contains(n, "relative_attention_bias"),
			strings.HasPrefix(n, "language_model.encoder."),
			strings.Contains(n, "EncDecAttention.k."),
			strings.Contains(n, "EncDecAttention.v."):
			continue
		case strings.Contains(n, "embed_tokens") || strings.HasPrefix(n, "language_model.shared."):
			if !tied {
				continue
			}
		}
		total += tensorBytes(s, st)
	}
	return total
}
