package safetensors

import (
	"encoding/binary"
	"math"
)

// F16ToF32 converts an IEEE 754 binary16 value exactly, subnormals, infinities
// and NaN payloads included.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	bits := uint32(h&0x7fff) << 13
	if h&0x7c00 == 0x7c00 { // inf or NaN: keep the mantissa, saturate the exponent
		return math.Float32frombits(sign | 0x7f800000 | bits)
	}
	// The shifted bits are the value scaled by 2^-112 (the exponent-bias
	// difference), subnormals included; multiplying by a power of two is exact.
	return math.Float32frombits(sign | math.Float32bits(math.Float32frombits(bits)*0x1p112))
}

// BF16ToF32 converts a bfloat16 value: its bits are the top half of a float32.
func BF16ToF32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

func decodeF16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func decodeBF16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

func decodeF32(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func decodeI64(dst []int64, src []byte) {
	src = src[:8*len(dst)]
	for i := range dst {
		dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
	}
}

func decodeI32(dst []int64, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = int64(int32(binary.LittleEndian.Uint32(src[4*i:])))
	}
}
