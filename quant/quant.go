// Package quant makes int8 copies of BLIP-2 checkpoints: per-output-channel symmetric
// weights with float32 scales, stored as safetensors (`x.weight` int8 and
// `x.weight_scale` f32) with a quantization_config in config.json; and int4 ones,
// whose language-model weights are groups of nibbles (`x.weight` U8, `x.weight_scale`
// F16 per group, int4.go) and the rest as in int8. Norms, biases,
// position tables and the patch convolution stay in floating point.
//
// Its room in docs/architecture.md: int8: imports only the formats models/safetensors and models/hfconfig; it knows no model.
package quant

import "math"

// QuantizeRows quantizes a [rows, cols] matrix row by row (QuantizeRow).
func QuantizeRows(w []float32, rows, cols int) ([]int8, []float32) {
	q := make([]int8, rows*cols)
	scales := make([]float32, rows)
	for r := 0; r < rows; r++ {
		scales[r] = QuantizeRow(w[r*cols:(r+1)*cols], q[r*cols:(r+1)*cols])
	}
	return q, scales
}

// QuantizeRow quantizes one row into q (same length) and returns its scale:
// scale = max|w|/127 and q = round(w/scale), so that w ≈ scale·q with the largest value
// exact. An all-zero row gets scale 0 and zeros.
func QuantizeRow(row []float32, q []int8) float32 {
	scale := RowScale(row)
	QuantizeRowWith(row, scale, q)
	return scale
}

// RowScale is QuantizeRow's scale of a row: max|w|/127.
func RowScale(row []float32) float32 {
	var amax float64
	for _, v := range row {
		amax = math.Max(amax, math.Abs(float64(v)))
	}
	return float32(amax / 127)
}

// QuantizeRowWith is QuantizeRow's values of a row for the scale RowScale gave it.
func QuantizeRowWith(row []float32, scale float32, q []int8) {
	if scale == 0 {
		clear(q)
		return
	}
	inv := 1 / float64(scale)
	for i, v := range row {
		x := math.Round(float64(v) * inv)
		q[i] = int8(math.Max(-127, math.Min(127, x)))
	}
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
	WeightOnly             // int8 weight, activations as the backend chooses (the language model)
	W8A8                   // int8 weight and int8 activations (vision encoder, Q-Former)
)

// Plan is a model's own declaration of its int8 form: quant knows the arithmetic and the
// checkpoint format, the model knows which of its tensors take which role.
type Plan struct {
	// Role decides a tensor's storage from its name and stored shape.
	Role func(name string, shape []int) Role
	// W8A8 and WeightOnly are the module prefixes written into quantization_config, so a
	// loader knows which int8 layers take int8 activations.
	W8A8, WeightOnly []string
	// Int4 picks, among the WeightOnly tensors, those a 4-bit checkpoint stores in
	// int4 groups (nil: none).
	Int4 func(name string, shape []int) bool
}
