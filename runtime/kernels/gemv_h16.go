package kernels

import (
	"math"
	"unsafe"
)

// 16-bit float weights (IEEE binary16 "fp16", or bfloat16 with bf set) against fp32
// activations: the weights stay 16-bit in memory, half the bytes of fp32, and are
// widened to fp32 in registers (F16C on amd64, FCVTL/SHLL on arm64). Widening is
// exact, so a product differs from the fp32 one on the widened weights only by the
// order of the additions.

// GemvH16F32 computes y[i] = Σ_j w[i,j]·x[j] for i < n, j < k: a Linear layer with
// 16-bit weights w [n×k] (leading dimension ldw ≥ k) and one fp32 activation row.
// Each weight is read once.
func GemvH16F32(n, k int, w []uint16, ldw int, bf bool, x, y []float32) {
	checkMat("GemvH16F32", "w", len(w), n, k, ldw)
	checkLen("GemvH16F32", "x", len(x), k)
	checkLen("GemvH16F32", "y", len(y), n)
	active.gemvH16F32(n, k, w, ldw, bf, x, y)
}

// WidenH16 converts the 16-bit floats src to fp32 in dst (at least len(src) long),
// exactly: a block of weight rows turned into floats for a many-row product.
func WidenH16(src []uint16, bf bool, dst []float32) {
	checkLen("WidenH16", "dst", len(dst), len(src))
	active.widenH16(src, bf, dst)
}

func (im *impl) gemvH16F32(n, k int, w []uint16, ldw int, bf bool, x, y []float32) {
	if k == 0 {
		clear(y[:n])
		return
	}
	k0 := k - k%im.h16Len()
	var wp [4]*uint16
	for i := 0; i < n; i += 4 {
		for r := range 4 {
			wp[r] = &w[min(i+r, n-1)*ldw] // rows past n repeat the last; dropped
		}
		var out [4]float32
		if k0 > 0 {
			gemvTileH16(im.isa, bf, k0, &wp, &x[0], &out)
		}
		for r := 0; r < 4 && i+r < n; r++ {
			s := out[r]
			row := w[(i+r)*ldw : (i+r)*ldw+k]
			for j := k0; j < k; j++ {
				s += h16ToF32(row[j], bf) * x[j]
			}
			y[i+r] = s
		}
	}
}

func (im *impl) widenH16(src []uint16, bf bool, dst []float32) {
	n := len(src)
	n0 := n - n%im.h16Len()
	if n0 > 0 {
		widenH16Vec(im.isa, bf, n0, &src[0], &dst[0])
	}
	for i := n0; i < n; i++ {
		dst[i] = h16ToF32(src[i], bf)
	}
}

func h16ToF32(h uint16, bf bool) float32 {
	if bf {
		return math.Float32frombits(uint32(h) << 16)
	}
	return f16ToF32(h)
}

// f16ToF32 widens an IEEE binary16 value, subnormals, infinities and NaNs included.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	}
	// Zero or subnormal: man·2⁻²⁴, exact in float32.
	return math.Float32frombits(sign | math.Float32bits(float32(man)*(1.0/(1<<24))))
}

// gemvTileH16Go computes out[r] = Σ_j w[r][j]·x[j] for four rows of k 16-bit weights.
func gemvTileH16Go(bf bool, k int, w *[4]*uint16, x *float32, out *[4]float32) {
	xs := unsafe.Slice(x, k)
	w0, w1 := unsafe.Slice(w[0], k), unsafe.Slice(w[1], k)
	w2, w3 := unsafe.Slice(w[2], k), unsafe.Slice(w[3], k)
	var s0, s1, s2, s3 float32
	for j, v := range xs {
		s0 += h16ToF32(w0[j], bf) * v
		s1 += h16ToF32(w1[j], bf) * v
		s2 += h16ToF32(w2[j], bf) * v
		s3 += h16ToF32(w3[j], bf) * v
	}
	out[0], out[1], out[2], out[3] = s0, s1, s2, s3
}

func widenH16Go(bf bool, n int, src *uint16, dst *float32) {
	s, d := unsafe.Slice(src, n), unsafe.Slice(dst, n)
	for i, h := range s {
		d[i] = h16ToF32(h, bf)
	}
}

// h16Len is the multiple of elements the 16-bit primitives take: 16 in the vector
// sets, any length in Go.
func (im *impl) h16Len() int {
	if im.isa == isaPortable {
		return 1
	}
	return 16
}
