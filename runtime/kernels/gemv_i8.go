package kernels

import "fmt"

// GemvI8F32 computes y[i] = scales[i]·Σ_j w[i,j]·x[j] for i < n, j < k: a Linear
// layer with int8 weights w [n×k] (leading dimension ldw ≥ k), one fp32 scale per
// output row, and fp32 activations. Each weight byte is read once.
func GemvI8F32(n, k int, w []int8, ldw int, scales []float32, x []float32, y []float32) {
	checkMat("GemvI8F32", "w", len(w), n, k, ldw)
	checkLen("GemvI8F32", "scales", len(scales), n)
	checkLen("GemvI8F32", "x", len(x), k)
	checkLen("GemvI8F32", "y", len(y), n)
	active.gemvI8F32(n, k, w, ldw, scales, x, y)
}

// DotI8F32 returns Σ w[j]·x[j]. The slices must have the same length.
func DotI8F32(w []int8, x []float32) float32 {
	if len(w) != len(x) {
		panic(fmt.Sprintf("kernels.DotI8F32: lengths differ: %d and %d", len(w), len(x)))
	}
	return active.dotI8F32(w, x)
}

func (im *impl) gemvI8F32(n, k int, w []int8, ldw int, scales, x, y []float32) {
	if k == 0 {
		clear(y[:n])
		return
	}
	k0 := k - k%im.gemvLen
	var wp [4]*int8
	for i := 0; i < n; i += 4 {
		for r := range 4 {
			wp[r] = &w[min(i+r, n-1)*ldw] // rows past n repeat the last; dropped
		}
		var out [4]float32
		if k0 > 0 {
			gemvTile(im.isa, k0, &wp, &x[0], &out)
		}
		for r := 0; r < 4 && i+r < n; r++ {
			s := out[r]
			row := w[(i+r)*ldw : (i+r)*ldw+k]
			for j := k0; j < k; j++ {
				s += float32(row[j]) * x[j]
			}
			y[i+r] = scales[i+r] * s
		}
	}
}

func (im *impl) dotI8F32(w []int8, x []float32) float32 {
	k := len(w)
	k0 := k - k%im.gemvLen
	var s float32
	if k0 > 0 {
		s = dotI8(im.isa, k0, &w[0], &x[0])
	}
	for j := k0; j < k; j++ {
		s += float32(w[j]) * x[j]
	}
	return s
}
