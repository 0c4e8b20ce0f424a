package quant

import (
	"math"

	"github.com/edgevlm/edge/models/safetensors"
)

// Int4 weights, in the runtime's Q4 layout (runtime/kernels, q4.go, which reads it):
// a row is cut along its inputs into groups of g (a multiple of 32, the last group
// padded with zeros); each group has one fp16 scale = max|w|/7 and g/2 bytes in blocks
// of 16, byte i of a block holding weight i (low nibble) and i+16 (high nibble) as q+8.
// Symmetric, without a zero point: the kernel needs one multiply per group and no
// offset sums, and a group's weights are centred on zero.

// Q4Block is the weights one 16-byte block holds.
const Q4Block = 32

// Q4Groups is the number of groups (and scales) of a row of cols weights.
func Q4Groups(cols, g int) int { return (cols + g - 1) / g }

// Q4RowBytes is the bytes of a packed row of cols weights.
func Q4RowBytes(cols, g int) int { return Q4Groups(cols, g) * g / 2 }

// QuantizeRowQ4 packs one row into q (Q4RowBytes) and its group scales (Q4Groups).
// Each scale is rounded to fp16 first and the values are quantized against the
// rounded scale, so that w ≈ scale·q holds for what is stored.
func QuantizeRowQ4(row []float32, g int, q []uint8, scales []uint16) {
	for gi := range Q4Groups(len(row), g) {
		grp := row[gi*g : min((gi+1)*g, len(row))]
		var amax float64
		for _, v := range grp {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		h := safetensors.F32ToF16(float32(amax / 7))
		scales[gi] = h
		s := float64(safetensors.F16ToF32(h))
		out := q[gi*g/2 : (gi+1)*g/2]
		clear(out)
		for j := range g {
			n := 0
			if j < len(grp) && s != 0 && !math.IsInf(s, 0) {
				n = int(math.Max(-8, math.Min(7, math.Round(float64(grp[j])/s))))
			}
			b := &out[j/Q4Block*16+j%16]
			if j%Q4Block >= 16 {
				*b |= uint8(n+8) << 4
			} else {
				*b |= uint8(n + 8)
			}
		}
	}
}

// QuantizeRowsQ4 packs a [rows, cols] matrix row by row (QuantizeRowQ4).
func QuantizeRowsQ4(w []float32, rows, cols, g int) ([]uint8, []uint16) {
	rb, ng := Q4RowBytes(cols, g), Q4Groups(cols, g)
	q, s := make([]uint8, rows*rb), make([]uint16, rows*ng)
	for r := range rows {
		QuantizeRowQ4(w[r*cols:(r+1)*cols], g, q[r*rb:(r+1)*rb], s[r*ng:(r+1)*ng])
	}
	return q, s
}

// DequantizeQ4 returns the [rows, cols] values a packed matrix stands for.
func DequantizeQ4(q []uint8, scales []uint16, rows, cols, g int) []float32 {
	rb, ng := Q4RowBytes(cols, g), Q4Groups(cols, g)
	out := make([]float32, rows*cols)
	for r := range rows {
		for j := range cols {
			b := q[r*rb+j/Q4Block*16+j%16]
			if j%Q4Block >= 16 {
				b >>= 4
			}
			out[r*cols+j] = safetensors.F16ToF32(scales[r*ng+j/g]) * float32(int(b&15)-8)
		}
	}
	return out
}
