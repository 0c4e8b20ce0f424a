package kernels

import "math"

// QuantizeRowSymmetric quantizes x to int8 with one symmetric scale and returns
// that scale: scale = max|x|/127 and q[i] = round(x[i]·(127/max|x|)), rounding half
// away from zero, clamped to [−127, 127] (−128 is never produced, so that −q is an
// int8 too). x ≈ scale·q.
//
// An all-zero x gives q = 0 and scale 1 (not 0: dividing by a scale never yields
// Inf or NaN). NaN elements are ignored for the maximum and give 0. An infinite
// element gives an infinite scale and zeros: garbage in, no panic.
// q must hold at least len(x) elements; the first len(x) are written.
func QuantizeRowSymmetric(x []float32, q []int8) (scale float32) {
	checkLen("QuantizeRowSymmetric", "q", len(q), len(x))
	return active.quantizeRow(x, q)
}

func (im *impl) quantizeRow(x []float32, q []int8) float32 {
	n := len(x)
	n0 := n - n%im.quantLen
	var m float32
	if n0 > 0 {
		m = maxAbs(im.isa, n0, &x[0])
	}
	for _, v := range x[n0:] {
		if a := float32(math.Abs(float64(v))); a > m {
			m = a
		}
	}
	if m == 0 {
		clear(q[:n])
		return 1
	}
	inv := 127 / m
	if n0 > 0 {
		quantize(im.isa, n0, &x[0], inv, &q[0])
	}
	for i := n0; i < n; i++ {
		q[i] = quantizeOne(x[i], inv)
	}
	return m / 127
}
