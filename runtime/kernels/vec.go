package kernels

import "fmt"

// Dot returns Σ a[i]·b[i]. The slices must have the same length.
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("kernels.Dot: lengths differ: %d and %d", len(a), len(b)))
	}
	return active.dot(a, b)
}

// Axpy computes y += alpha·x. The slices must have the same length.
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("kernels.Axpy: lengths differ: %d and %d", len(x), len(y)))
	}
	active.axpy(alpha, x, y)
}

// Scale computes x *= alpha in place.
func Scale(alpha float32, x []float32) { active.scale(alpha, x) }

func (im *impl) dot(a, b []float32) float32 {
	n := len(a)
	n0 := n - n%im.vecLen
	var s float32
	if n0 > 0 {
		s = vecDot(im.isa, n0, &a[0], &b[0])
	}
	for i := n0; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

func (im *impl) axpy(alpha float32, x, y []float32) {
	n := len(x)
	n0 := n - n%im.vecLen
	if n0 > 0 {
		vecAxpy(im.isa, n0, alpha, &x[0], &y[0])
	}
	for i := n0; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

func (im *impl) scale(alpha float32, x []float32) {
	n := len(x)
	n0 := n - n%im.vecLen
	if n0 > 0 {
		vecScale(im.isa, n0, alpha, &x[0])
	}
	for i := n0; i < n; i++ {
		x[i] *= alpha
	}
}
