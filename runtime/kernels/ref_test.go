package kernels

import "math"

// Naive references, written for clarity and independently of the kernels: float64
// accumulation for fp32, int64 for int8.

// refGemmNT returns C (= or +=) A·Bᵀ and, per element, Σ|a·b| + |c| for the error bound.
func refGemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, g float64
			if acc {
				s = float64(c[i*ldc+j])
				g = math.Abs(s)
			}
			for p := range k {
				v := float64(a[i*lda+p]) * float64(b[j*ldb+p])
				s += v
				g += math.Abs(v)
			}
			want[i*n+j], mag[i*n+j] = s, g
		}
	}
	return want, mag
}

func refGemmI8(m, n, k int, a []int8, lda int, b []int8, ldb int) []int32 {
	out := make([]int32, m*n)
	for i := range m {
		for j := range n {
			var s int64
			for p := range k {
				s += int64(a[i*lda+p]) * int64(b[j*ldb+p])
			}
			out[i*n+j] = int32(s)
		}
	}
	return out
}

// refQuantize: scale = max|x|/127, q = round half away (x·(127/max)), the product
// taken in float32 as the spec says, then rounded in float64 by floor(|s|+0.5).
func refQuantize(x []float32) ([]int8, float32) {
	var m float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > m {
			m = a
		}
	}
	q := make([]int8, len(x))
	if m == 0 {
		return q, 1
	}
	inv := float32(127) / m
	for i, v := range x {
		s := float64(v * inv)
		if math.IsNaN(s) {
			continue
		}
		r := math.Min(math.Floor(math.Abs(s)+0.5), 127)
		if s < 0 {
			r = -r
		}
		q[i] = int8(r)
	}
	return q, m / 127
}
