package kernels

import (
	"fmt"
	"unsafe"
)

// Q8Block is how many activation values share one scale in a Q8 vector. Per-block
// scales keep an outlier from flattening the whole vector (one scale per token would);
// 64 is one AVX-512 register of int8 and divides every hidden size of the BLIP-2
// language models (and the shapes model's 192), so no row has a float tail.
const Q8Block = 64

// Q8 is an activation vector quantized for GemvI8Q8: the whole blocks of X as int8
// with one symmetric scale per block (X[j] ≈ S[j/Q8Block]·Q[j]); the values past the
// last whole block are used in float from X. Decoding multiplies every int8 weight row
// with it in integer arithmetic (VNNI VPDPBUSD, SDOT, PMADDUBSW), which reads the
// weights at memory speed where converting each weight to float could not.
type Q8 struct {
	X []float32
	Q []int8
	S []float32
	// offset is Σ_b S[b]·128·Σ_{j∈b} Q[j]: what the VNNI kernels, which multiply
	// the weights as unsigned bytes w+128, add to every row's sum.
	offset float32
}

// Quantize fills v from x, reusing v's buffers. x is kept, not copied.
func (v *Q8) Quantize(x []float32) {
	nb := len(x) / Q8Block
	v.X = x
	v.Q = grow(v.Q, nb*Q8Block)
	v.S = grow(v.S, nb)
	var off float32
	for b := range nb {
		q := v.Q[b*Q8Block : (b+1)*Q8Block]
		s := active.quantizeRow(x[b*Q8Block:(b+1)*Q8Block], q)
		v.S[b] = s
		var sum int32
		for _, e := range q {
			sum += int32(e)
		}
		off += s * float32(128*sum)
	}
	v.offset = off
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// GemvI8Q8 computes y[i] = scales[i]·Σ_j w[i,j]·x[j] for i < n (int8 weights w [n×k],
// leading dimension ldw ≥ k, one fp32 scale per output row), with the
// activations x quantized in blocks (v, made by Q8.Quantize from a k-element x): each
// block's int8 products are summed exactly in int32 and scaled by the block's scale.
func GemvI8Q8(n, k int, w []int8, ldw int, scales []float32, v *Q8, y []float32) {
	checkMat("GemvI8Q8", "w", len(w), n, k, ldw)
	checkLen("GemvI8Q8", "scales", len(scales), n)
	checkLen("GemvI8Q8", "y", len(y), n)
	if len(v.X) != k || len(v.Q) != k/Q8Block*Q8Block || len(v.S) != k/Q8Block {
		panic(fmt.Sprintf("kernels.GemvI8Q8: activation vector of %d values (%d quantized) for k = %d", len(v.X), len(v.Q), k))
	}
	active.gemvI8Q8(n, k, w, ldw, scales, v, y)
}

func (im *impl) gemvI8Q8(n, k int, w []int8, ldw int, scales []float32, v *Q8, y []float32) {
	if n == 0 {
		return
	}
	nb := k / Q8Block
	k0 := nb * Q8Block
	if nb == 0 {
		clear(y[:n])
	} else {
		var off float32
		if im.isa == isaAVX512VNNI || im.isa == isaAVX2VNNI {
			off = v.offset
		}
		gemvQ8Rows(im.isa, n, nb, &w[0], ldw, &v.Q[0], &v.S[0], &scales[0], off, &y[0])
	}
	if k0 == k {
		return
	}
	for i := range n { // the values past the last whole block, in float
		var s float32
		for j, e := range w[i*ldw+k0 : i*ldw+k] {
			s += float32(e) * v.X[k0+j]
		}
		y[i] += scales[i] * s
	}
}

// gemvQ8RowsGo computes y[i] = scales[i]·(Σ_b s[b]·Σ_{j∈b} w[i,j]·q[j] − off) over nb
// blocks of n rows ldw apart: the definition every gemvQ8Rows primitive matches (the
// int32 block sums exactly; the float sum over blocks up to rounding). The VNNI
// primitives, which take the weights as w+128, get the offset of Q8 as off.
func gemvQ8RowsGo(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32) {
	k := nb * Q8Block
	ws := unsafe.Slice(w, (n-1)*ldw+k)
	qs, ss := unsafe.Slice(q, k), unsafe.Slice(s, nb)
	sc, ys := unsafe.Slice(scales, n), unsafe.Slice(y, n)
	for i := range n {
		row := ws[i*ldw : i*ldw+k]
		var acc float32
		for b := range nb {
			var d int32
			for j := b * Q8Block; j < (b+1)*Q8Block; j++ {
				d += int32(row[j]) * int32(qs[j])
			}
			acc += ss[b] * float32(d)
		}
		ys[i] = sc[i] * (acc - off)
	}
}
