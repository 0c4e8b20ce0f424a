package cpu

// Plain reference versions of the kernels the backend calls, for its tests.

func gemmNTRef(m, n, k int, a []float32, b []float32, c []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p]) * float64(b[j*k+p])
			}
			c[i*n+j] = float32(s)
		}
	}
}
