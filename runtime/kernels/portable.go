package kernels

import (
	"math"
	"unsafe"
)

// The portable primitives. They have the same contracts as the assembly ones (see
// impl.go) and are what the purego build and other architectures run.

func dotGo(n int, a, b *float32) float32 {
	x, y := unsafe.Slice(a, n), unsafe.Slice(b, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < n; i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(n int, alpha float32, x, y *float32) {
	xs, ys := unsafe.Slice(x, n), unsafe.Slice(y, n)
	for i, v := range xs {
		ys[i] += alpha * v
	}
}

func scaleGo(n int, alpha float32, x *float32) {
	xs := unsafe.Slice(x, n)
	for i := range xs {
		xs[i] *= alpha
	}
}

// dotTileGo computes out[i*4+j] = a[i]·b[j] over k elements, 4×4.
func dotTileGo(k int, a, b *[4]*float32, out *[16]float32) {
	b0, b1 := unsafe.Slice(b[0], k), unsafe.Slice(b[1], k)
	b2, b3 := unsafe.Slice(b[2], k), unsafe.Slice(b[3], k)
	for i := range 4 {
		x := unsafe.Slice(a[i], k)
		var s0, s1, s2, s3 float32
		for p, v := range x {
			s0 += v * b0[p]
			s1 += v * b1[p]
			s2 += v * b2[p]
			s3 += v * b3[p]
		}
		out[i*4], out[i*4+1], out[i*4+2], out[i*4+3] = s0, s1, s2, s3
	}
}

// microGo is the 4×4 outer-product micro-kernel: C[4×4] (= or +=) A[4×kc]·P, where
// P holds kc groups of 4 values (a panel of B, transposed).
func microGo(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	as := unsafe.Slice(a, 3*lda+kc)
	p := unsafe.Slice(b, 4*kc)
	cs := unsafe.Slice(c, 3*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	if load {
		c00, c01, c02, c03 = cs[0], cs[1], cs[2], cs[3]
		c10, c11, c12, c13 = cs[ldc], cs[ldc+1], cs[ldc+2], cs[ldc+3]
		c20, c21, c22, c23 = cs[2*ldc], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3]
		c30, c31, c32, c33 = cs[3*ldc], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3]
	}
	for q := range kc {
		v := p[4*q : 4*q+4 : 4*q+4]
		b0, b1, b2, b3 := v[0], v[1], v[2], v[3]
		a0, a1, a2, a3 := as[q], as[lda+q], as[2*lda+q], as[3*lda+q]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs[0], cs[1], cs[2], cs[3] = c00, c01, c02, c03
	cs[ldc], cs[ldc+1], cs[ldc+2], cs[ldc+3] = c10, c11, c12, c13
	cs[2*ldc], cs[2*ldc+1], cs[2*ldc+2], cs[2*ldc+3] = c20, c21, c22, c23
	cs[3*ldc], cs[3*ldc+1], cs[3*ldc+2], cs[3*ldc+3] = c30, c31, c32, c33
}

// i8DotTileGo computes out[i*4+j] = a[i]·b[j] over k int8 elements, exactly.
func i8DotTileGo(k int, a, b *[4]*int8, out *[16]int32) {
	b0, b1 := unsafe.Slice(b[0], k), unsafe.Slice(b[1], k)
	b2, b3 := unsafe.Slice(b[2], k), unsafe.Slice(b[3], k)
	for i := range 4 {
		x := unsafe.Slice(a[i], k)
		var s0, s1, s2, s3 int32
		for p, v := range x {
			w := int32(v)
			s0 += w * int32(b0[p])
			s1 += w * int32(b1[p])
			s2 += w * int32(b2[p])
			s3 += w * int32(b3[p])
		}
		out[i*4], out[i*4+1], out[i*4+2], out[i*4+3] = s0, s1, s2, s3
	}
}

func maxAbsGo(n int, x *float32) float32 {
	var m float32
	for _, v := range unsafe.Slice(x, n) {
		// A NaN compares false and is skipped, as VMAXPS(v, m) and FMAXNM skip it.
		if a := math.Float32frombits(math.Float32bits(v) &^ (1 << 31)); a > m {
			m = a
		}
	}
	return m
}

func quantizeGo(n int, x *float32, inv float32, q *int8) {
	qs := unsafe.Slice(q, n)
	for i, v := range unsafe.Slice(x, n) {
		qs[i] = quantizeOne(v, inv)
	}
}

// quantizeOne is the definition every quantize primitive matches bit for bit:
// round half away from zero of the float32 product v·inv, clamped to [-127, 127];
// NaN gives 0.
func quantizeOne(v, inv float32) int8 {
	s := v * inv
	if s != s {
		return 0
	}
	r := math.Round(float64(s))
	if r > 127 {
		r = 127
	} else if r < -127 {
		r = -127
	}
	return int8(r)
}
