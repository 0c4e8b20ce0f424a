package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// The int4 weight layout (Q4): a row of k weights is cut along k into groups of g
// (a multiple of 32); a row that does not fill its last group is padded with zeros.
// Each group has one fp16 scale and g/2 bytes made of blocks of 16 bytes for 32
// weights: byte i of a block holds weight i in its low nibble and weight i+16 in its
// high nibble, each stored as q+8 with q in [−8, 7], so that w ≈ scale·q. Halves of a
// block are contiguous so that a SIMD unit unpacks them with one mask and one shift.

// Q4Block is the weights one 16-byte block holds; group sizes are multiples of it.
const Q4Block = 32

// Q4Groups is the number of groups (and scales) of a row of k weights.
func Q4Groups(k, g int) int { return (k + g - 1) / g }

// Q4RowBytes is the bytes of a packed row of k weights in groups of g.
func Q4RowBytes(k, g int) int { return Q4Groups(k, g) * g / 2 }

// Q4Nibble returns weight j (its stored nibble minus 8) of a packed row.
func Q4Nibble(row []uint8, j int) int {
	b := row[j/Q4Block*16+j%16]
	if j%Q4Block >= 16 {
		b >>= 4
	}
	return int(b&15) - 8
}

// checkQ4 panics with the calling kernel's name when the shapes do not fit.
func checkQ4(fn string, n, k, g int, w []uint8, scales []uint16) {
	if g <= 0 || g%Q4Block != 0 {
		panic(fmt.Sprintf("kernels.%s: group size %d is not a positive multiple of %d", fn, g, Q4Block))
	}
	checkLen(fn, "w", len(w), n*Q4RowBytes(k, g))
	checkLen(fn, "scales", len(scales), n*Q4Groups(k, g))
}

// GemvQ4F32 computes y[i] = Σ_j W[i,j]·x[j] for i < n, j < k: a Linear layer with
// Q4 weights w (n packed rows) and their group scales (n rows of Q4Groups(k, g)),
// and fp32 activations. Each weight byte is read once.
func GemvQ4F32(n, k, g int, w []uint8, scales []uint16, x, y []float32) {
	checkQ4("GemvQ4F32", n, k, g, w, scales)
	checkLen("GemvQ4F32", "x", len(x), k)
	checkLen("GemvQ4F32", "y", len(y), n)
	active.gemvQ4F32(n, k, g, w, scales, x, y)
}

func (im *impl) gemvQ4F32(n, k, g int, w []uint8, scales []uint16, x, y []float32) {
	rb, ng := Q4RowBytes(k, g), Q4Groups(k, g)
	full := k / g // groups the primitive takes; a padded last group is done here
	for i := range n {
		row, sc := w[i*rb:(i+1)*rb], scales[i*ng:(i+1)*ng]
		var s float32
		if full > 0 {
			s = q4Dot(im.isa, full, g, &row[0], &sc[0], &x[0])
		}
		if full < ng {
			var t float32
			for j := full * g; j < k; j++ {
				t += float32(Q4Nibble(row, j)) * x[j]
			}
			s += F16ToF32(sc[full]) * t
		}
		y[i] = s
	}
}

// DequantizeQ4 writes the k weights of one packed row (its bytes w and scales) into dst.
func DequantizeQ4(k, g int, w []uint8, scales []uint16, dst []float32) {
	checkQ4("DequantizeQ4", 1, k, g, w, scales)
	checkLen("DequantizeQ4", "dst", len(dst), k)
	active.dequantizeQ4(k, g, w, scales, dst)
}

func (im *impl) dequantizeQ4(k, g int, w []uint8, scales []uint16, dst []float32) {
	first := 0
	if full := k / g; full > 0 && q4Dequant(im.isa, full, g, &w[0], &scales[0], &dst[0]) {
		first = full
	}
	for gi := first; gi < Q4Groups(k, g); gi++ {
		s := F16ToF32(scales[gi])
		for b := gi * g; b < min((gi+1)*g, k); b += Q4Block {
			blk := w[b/2 : b/2+16]
			lo := dst[b:min(b+16, k)]
			for i := range lo {
				lo[i] = s * float32(int(blk[i]&15)-8)
			}
			if b+16 < k {
				hi := dst[b+16 : min(b+32, k)]
				for i := range hi {
					hi[i] = s * float32(int(blk[i]>>4)-8)
				}
			}
		}
	}
}

// q4DotGo is the portable primitive: Σ over groups of scale·Σ q·x for full groups.
func q4DotGo(groups, g int, w *uint8, s *uint16, x *float32) float32 {
	ws := unsafe.Slice(w, groups*g/2)
	ss := unsafe.Slice(s, groups)
	xs := unsafe.Slice(x, groups*g)
	var sum float32
	for gi := range groups {
		var t0, t1 float32
		for b := gi * g; b < (gi+1)*g; b += Q4Block {
			blk, xb := ws[b/2:b/2+16], xs[b:b+32]
			for i, v := range blk {
				t0 += float32(int(v&15)-8) * xb[i]
				t1 += float32(int(v>>4)-8) * xb[i+16]
			}
		}
		sum += F16ToF32(ss[gi]) * (t0 + t1)
	}
	return sum
}

// F16ToF32 converts an IEEE 754 binary16 value exactly (the Q4 scales; the same
// conversion as models/safetensors.F16ToF32, which the kernels may not import).
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	bits := uint32(h&0x7fff) << 13
	if h&0x7c00 == 0x7c00 {
		return math.Float32frombits(sign | 0x7f800000 | bits)
	}
	return math.Float32frombits(sign | math.Float32bits(math.Float32frombits(bits)*0x1p112))
}
