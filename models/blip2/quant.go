package blip2

import (
	"slices"
	"strings"

	"github.com/edgevlm/edge/quant"
)

// BLIP-2's int8 form, as `edge quantize` writes it and --int8 loads it: the vision
// encoder's and Q-Former's linear layers in W8A8 (int8 activations too), the projection
// and the language model weight-only (float activations per token for prompts; decoding
// on the CPU quantizes each token's activations in blocks of 64 at run time, see
// kernels.Q8; with lmW8A8 its linear layers take int8 activations per row as well,
// embeddings and heads staying weight-only). Only 2-D
// `.weight` matrices are quantized; norms, biases, the patch convolution, positions and
// T5's relative position biases stay float in a folder (the patch convolution is
// quantized in memory when loaded beside a W8A8 encoder: VisionModel.patchLikeEncoder).
var (
	w8a8Modules       = []string{"vision_model.encoder.", "qformer.encoder."}
	weightOnlyModules = []string{"language_projection.", "language_model."}
)

// QuantPlan is BLIP-2's int8 plan for quant.WriteCheckpoint.
func QuantPlan(lmW8A8 bool) quant.Plan {
	p := quant.Plan{Role: func(name string, shape []int) quant.Role { return roleOf(name, shape, lmW8A8) },
		W8A8: slices.Clone(w8a8Modules), WeightOnly: slices.Clone(weightOnlyModules), Int4: isInt4}
	if lmW8A8 {
		p.W8A8, p.WeightOnly = append(p.W8A8, weightOnlyModules...), nil
	}
	return p
}

// roleOf decides a tensor's storage from its name and shape.
func roleOf(name string, shape []int, lmW8A8 bool) quant.Role {
	if len(shape) != 2 || !strings.HasSuffix(name, ".weight") {
		return quant.Keep
	}
	switch {
	case strings.Contains(name, "embed_positions") || strings.Contains(name, "relative_attention_bias"):
		return quant.Keep
	case hasPrefix(name, w8a8Modules):
		return quant.W8A8
	case hasPrefix(name, weightOnlyModules):
		if lmW8A8 && isLMLinear(name) {
			return quant.W8A8
		}
		return quant.WeightOnly
	}
	return quant.Keep
}

// isInt4 reports whether Options.Int4 (and `edge quantize --bits 4`) stores a tensor in
// int4 groups: the language model's linear layers. Its token embeddings, which OPT ties
// to the output head, stay int8 with a scale per row: they are 5 % of OPT-2.7b's
// language model (0.13 GB in int8, 0.06 GB saved by int4) and the head decides every
// token.
func isInt4(name string, shape []int) bool {
	return roleOf(name, shape, false) == quant.WeightOnly && strings.HasPrefix(name, "language_model.") && isLMLinear(name)
}

// DefaultInt4Group is the int4 group size along a row's inputs. 64 and 128 measured
// alike on the golden sets (README); 64 halves the span each scale covers on the
// full-size rows (2,560 and 10,240 inputs) for 1.5 % more bytes.
const DefaultInt4Group = 64

func isLMLinear(name string) bool {
	return !strings.Contains(name, "embed_tokens") && !strings.Contains(name, "shared.") && !strings.Contains(name, "lm_head")
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
