// Package quant makes int8 copies of BLIP-2 checkpoints: per-output-channel symmetric
// weights with float32 scales, stored as safetensors (`x.weight` int8 and
// `x.weight_scale` f32) with a quantization_config in config.json. Norms, biases,
// position tables and the patch convolution stay in floating point.
package quant

import (
	"math"
	"strings"
)

// QuantizeRows quantizes a [rows, cols] matrix row by row: scale = max|w|/127 and
// q = round(w/scale), so that w ≈ scale·q with the largest value exact. An all-zero
// row gets scale 0 and zeros.
func QuantizeRows(w []float32, rows, cols int) ([]int8, []float32) {
	q := make([]int8, rows*cols)
	scales := make([]float32, rows)
	for r := 0; r < rows; r++ {
		row := w[r*cols : (r+1)*cols]
		var amax float64
		for _, v := range row {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		if amax == 0 {
			continue
		}
		scale := float32(amax / 127)
		scales[r] = scale
		inv := 1 / float64(scale)
		qr := q[r*cols : (r+1)*cols]
		for i, v := range row {
			x := math.Round(float64(v) * inv)
			qr[i] = int8(math.Max(-127, math.Min(127, x)))
		}
	}
	return q, scales
}

// Dequantize returns scale·q row by row.
func Dequantize(q []int8, scales []float32, cols int) []float32 {
	out := make([]float32, len(q))
	for i, v := range q {
		out[i] = scales[i/cols] * float32(v)
	}
	return out
}

// Role says how a tensor is stored in an int8 checkpoint.
type Role int

const (
	Keep       Role = iota // stays in floating point
	WeightOnly             // int8 weight, float activations (the language model)
	W8A8                   // int8 weight and int8 activations (vision encoder, Q-Former)
)

// Module prefixes as written into quantization_config.
var (
	W8A8Prefixes       = []string{"vision_model.encoder.", "qformer.encoder."}
	WeightOnlyPrefixes = []string{"language_projection.", "language_model."}
)

// RoleOf decides a tensor's storage from its name and shape: only 2-D `.weight`
// matrices of linear layers and token embeddings are quantized. lmW8A8 moves the
// language model's linear layers to W8A8 as well (embeddings and heads stay weight-only).
func RoleOf(name string, shape []int, lmW8A8 bool) Role {
	if len(shape) != 2 || !strings.HasSuffix(name, ".weight") {
		return Keep
	}
	switch {
	case strings.Contains(name, "embed_positions") || strings.Contains(name, "relative_attention_bias"):
		return Keep
	case hasPrefix(name, W8A8Prefixes):
		return W8A8
	case hasPrefix(name, WeightOnlyPrefixes):
		if lmW8A8 && isLMLinear(name) {
			return W8A8
		}
		return WeightOnly
	}
	return Keep
}

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
