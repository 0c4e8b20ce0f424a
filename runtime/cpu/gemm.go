package cpu

import "math"

// gemmNT computes C[m×n] = A[m×k]·B[n×k]ᵀ with row strides lda, ldb, ldc.
func gemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ar := a[i*lda : i*lda+k]
		cr := c[i*ldc : i*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			cr[j], cr[j+1], cr[j+2], cr[j+3] = dot4(ar, b[j*ldb:j*ldb+k], b[(j+1)*ldb:(j+1)*ldb+k], b[(j+2)*ldb:(j+2)*ldb+k], b[(j+3)*ldb:(j+3)*ldb+k])
		}
		for ; j < n; j++ {
			cr[j] = dot(ar, b[j*ldb:j*ldb+k])
		}
	}
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dot4(a, b0, b1, b2, b3 []float32) (float32, float32, float32, float32) {
	n := len(a)
	b0, b1, b2, b3 = b0[:n], b1[:n], b2[:n], b3[:n]
	var s0, s1, s2, s3 float32
	for i, v := range a {
		s0 += v * b0[i]
		s1 += v * b1[i]
		s2 += v * b2[i]
		s3 += v * b3[i]
	}
	return s0, s1, s2, s3
}

func dotI8F32(w []int8, x []float32) float32 {
	x = x[:len(w)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(w); i += 2 {
		s0 += float32(w[i]) * x[i]
		s1 += float32(w[i+1]) * x[i+1]
	}
	for ; i < len(w); i++ {
		s0 += float32(w[i]) * x[i]
	}
	return s0 + s1
}

func dotI8(a, b []int8) int32 {
	b = b[:len(a)]
	var s int32
	for i, v := range a {
		s += int32(v) * int32(b[i])
	}
	return s
}

// quantizeRow writes q = round(x/scale) with scale = max|x|/127 and returns the scale
// (1 for an all-zero row, so that dequantising gives zeros).
func quantizeRow(x []float32, q []int8) float32 {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	if amax == 0 {
		clear(q)
		return 1
	}
	scale := amax / 127
	inv := 1 / scale
	for i, v := range x {
		r := math.Round(float64(v * inv))
		q[i] = int8(max(-127, min(127, r)))
	}
	return scale
}
