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
	if k == 0 {
		clear(y[:n])
		return
	}
	nb := k / Q8Block
	k0 := nb * Q8Block
	var off float32
	if im.isa == isaAVX512VNNI || im.isa == isaAVX2VNNI {
		off = v.offset
	}
	var wp [4]*int8
	for i := 0; i < n; i += 4 {
		for r := range 4 {
			wp[r] = &w[min(i+r, n-1)*ldw] // rows past n repeat the last; dropped
		}
		var out [4]float32
		if nb > 0 {
			gemvQ8Tile(im.isa, nb, &wp, &v.Q[0], &v.S[0], &out)
		}
		for r := 0; r < 4 && i+r < n; r++ {
			s := out[r] - off
			row := w[(i+r)*ldw : (i+r)*ldw+k]
			for j := k0; j < k; j++ {
				s += float32(row[j]) * v.X[j]
			}
			y[i+r] = scales[i+r] * s
		}
	}
}

// gemvQ8TileGo computes out[r] = Σ_b s[b]·Σ_{j∈b} w[r][j]·q[j] over nb blocks of four
// weight rows: the definition every gemvQ8 primitive matches (the int32 block sums
// exactly; the float sum over blocks up to rounding). The VNNI primitive adds the
// offset of Q8 on top.
func gemvQ8TileGo(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32) {
	k := nb * Q8Block
	qs := unsafe.Slice(q, k)
	ss := unsafe.Slice(s, nb)
	for r := range 4 {
		ws := unsafe.Slice(w[r], k)
		var acc float32
		for b := range nb {
			var d int32
			for j := b * Q8Block; j < (b+1)*Q8Block; j++ {
				d += int32(ws[j]) * int32(qs[j])
			}
			acc += ss[b] * float32(d)
		}
		out[r] = acc
	}
}
