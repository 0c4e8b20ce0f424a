package blip2

import (
	"strings"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
)

// tensorBytes is a tensor's storage as the runtime holds it: int8 with one float
// scale per row where int8 models quantize it, 16-bit for the matrices of a half
// (fp16 or bf16) model, float32 otherwise.
func tensorBytes(s weights.Spec, int8, lmW8A8, half bool) int64 {
	n := int64(1)
	for _, d := range s.Shape {
		n *= int64(d)
	}
	if int8 && roleOf(s.Name, s.Shape, lmW8A8) != quant.Keep {
		return n + 4*int64(s.Shape[0])
	}
	if half && s.Matrix {
		return 2 * n
	}
	return 4 * n
}

// HalfWeightBytes is WeightBytes for a model whose float matrices are fp16 or bf16
// (--dtype fp16/bf16, or a 16-bit checkpoint); vectors stay fp32.
func HalfWeightBytes(cfg *hfconfig.Config) int64 {
	var total int64
	for _, s := range ExpectedTensors(cfg) {
		total += tensorBytes(s, false, false, true)
	}
	return total
}

// HalfDecodeBytes is DecodeBytes with 16-bit matrices.
func HalfDecodeBytes(cfg *hfconfig.Config) int64 { return decodeBytes(cfg, false, false, true) }

// WeightBytes is the memory the weights of cfg take when loaded (fp32, or int8 as
// Options.Int8 makes them): what a machine must hold before building the model.
func WeightBytes(cfg *hfconfig.Config, int8, lmW8A8 bool) int64 {
	var total int64
	for _, s := range ExpectedTensors(cfg) {
		total += tensorBytes(s, int8, lmW8A8, false)
	}
	return total
}

// DecodeBytes is the weight storage one decoded token reads: every language-model
// matrix and vector used per step, the output head once, and neither the token
// embeddings (one row) nor the learned positions, nor, for T5, the encoder and the
// cross-attention keys and values (computed once per prompt). Divided by the memory
// bandwidth it is the least time a decoded token can take.
func DecodeBytes(cfg *hfconfig.Config, int8, lmW8A8 bool) int64 {
	return decodeBytes(cfg, int8, lmW8A8, false)
}

func decodeBytes(cfg *hfconfig.Config, int8, lmW8A8, half bool) int64 {
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
		total += tensorBytes(s, int8, lmW8A8, half)
	}
	return total
}
