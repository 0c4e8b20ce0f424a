package kernels

import (
	"fmt"
	"testing"
	"time"
)

// Benchmarks report GFLOP/s (2·m·n·k per product; GOP/s for int8) and, for the
// memory-bound cases, GB/s of weight bytes read. The "dram" variants cycle through
// copies of B totalling dramBytes, more than this machine's L3, so that every weight
// byte comes from memory; "hot" uses one B, which stays in cache when it fits.

const dramBytes = 1 << 30

func fillF32(s []float32) {
	for i := range s {
		s[i] = float32(i%97)/97 - 0.5
	}
}

func fillI8(s []int8) {
	for i := range s {
		s[i] = int8(i*7 - 128)
	}
}

// copies returns how many B matrices of size bytes make up the working set.
func copies(dram bool, size int) int {
	if !dram {
		return 1
	}
	return max(1, dramBytes/size)
}

// report adds rates per wall second and per CPU second (cpu0: cpuNow() before the
// loop; the "cpu-" rates are the ones to read on a loaded machine).
func report(b *testing.B, cpu0 time.Duration, ops, bytes float64, opsUnit, bytesUnit string) {
	wall := b.Elapsed().Seconds() / float64(b.N)
	cpu := (cpuNow() - cpu0).Seconds() / float64(b.N)
	if ops > 0 {
		b.ReportMetric(ops/wall/1e9, opsUnit)
		if cpu > 0 {
			b.ReportMetric(ops/cpu/1e9, "cpu-"+opsUnit)
		}
	}
	if bytes > 0 {
		b.ReportMetric(bytes/wall/1e9, bytesUnit)
		if cpu > 0 {
			b.ReportMetric(bytes/cpu/1e9, "cpu-"+bytesUnit)
		}
	}
}

func BenchmarkGemmNT(b *testing.B) {
	for _, s := range []gemmCase{{1, 2560, 2560}, {1, 10240, 2560}, {4, 2560, 2560}, {8, 2560, 2560},
		{257, 1408, 1408}, {197, 768, 192}, {197, 192, 192}} {
		for _, im := range available() {
			modes := []bool{false}
			if s.m <= 8 {
				modes = []bool{false, true}
			}
			for _, dram := range modes {
				name := fmt.Sprintf("%s/%v", im.name, s)
				if s.m <= 8 {
					name += map[bool]string{false: "/hot", true: "/dram"}[dram]
				}
				b.Run(name, func(b *testing.B) {
					m, n, k := s.m, s.n, s.k
					nb := copies(dram, n*k*4)
					a, w, c := make([]float32, m*k), make([]float32, nb*n*k), make([]float32, m*n)
					fillF32(a)
					fillF32(w)
					i := 0
					cpu0 := cpuNow()
					for b.Loop() {
						im.gemmNT(m, n, k, a, k, w[i*n*k:], k, c, n, false)
						i = (i + 1) % nb
					}
					report(b, cpu0, 2*float64(m*n*k), map[bool]float64{true: float64(n * k * 4)}[m <= 8], "GFLOP/s", "GB/s")
				})
			}
		}
	}
}

// BenchmarkGemmPacked is the same image-path products with B packed once, as a
// Linear layer's weights would be at load time; BenchmarkPackB is that one-off cost.
func BenchmarkGemmPacked(b *testing.B) {
	for _, s := range []gemmCase{{257, 1408, 1408}, {197, 768, 192}, {197, 192, 192}} {
		for _, im := range available()[1:] {
			b.Run(fmt.Sprintf("%s/%v", im.name, s), func(b *testing.B) {
				m, n, k := s.m, s.n, s.k
				a, w, c := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
				fillF32(a)
				fillF32(w)
				pb := im.packB(n, k, w, k)
				cpu0 := cpuNow()
				for b.Loop() {
					im.gemmPacked(m, a, k, &pb, c, n, false)
				}
				report(b, cpu0, 2*float64(m*n*k), 0, "GFLOP/s", "")
			})
		}
	}
}

func BenchmarkPackB(b *testing.B) {
	n, k := 1408, 1408
	w := make([]float32, n*k)
	fillF32(w)
	cpu0 := cpuNow()
	for b.Loop() {
		active.packB(n, k, w, k)
	}
	report(b, cpu0, 0, float64(n*k*4), "", "GB/s")
}

func BenchmarkGemmI8NT(b *testing.B) {
	for _, s := range []gemmCase{{257, 1408, 1408}, {197, 768, 192}, {1, 2560, 2560}} {
		for _, im := range available() {
			for _, packed := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/%v/packed=%v", im.name, s, packed), func(b *testing.B) {
					m, n, k := s.m, s.n, s.k
					a, w, c := make([]int8, m*k), make([]int8, n*k), make([]int32, m*n)
					fillI8(a)
					fillI8(w)
					pb := im.packBI8(n, k, w, k)
					cpu0 := cpuNow()
					for b.Loop() {
						if packed {
							im.gemmI8Packed(m, a, k, &pb, c, n)
						} else {
							im.gemmI8NT(m, n, k, a, k, w, k, c, n)
						}
					}
					report(b, cpu0, 2*float64(m*n*k), 0, "GOP/s", "")
				})
			}
		}
	}
}

func BenchmarkGemvI8Q8(b *testing.B) {
	for _, s := range []gemmCase{{1, 2560, 2560}, {1, 10240, 2560}, {1, 256, 2560}} {
		for _, im := range available() {
			for _, dram := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/n=%d,k=%d/%s", im.name, s.n, s.k, map[bool]string{false: "hot", true: "dram"}[dram]), func(b *testing.B) {
					n, k := s.n, s.k
					nb := copies(dram, n*k)
					w, x, y, sc := make([]int8, nb*n*k), make([]float32, k), make([]float32, n), make([]float32, n)
					fillI8(w)
					fillF32(x)
					fillF32(sc)
					var v Q8
					v.Quantize(x)
					i := 0
					cpu0 := cpuNow()
					for b.Loop() {
						im.gemvI8Q8(n, k, w[i*n*k:], k, sc, &v, y)
						i = (i + 1) % nb
					}
					report(b, cpu0, 2*float64(n*k), float64(n*k), "GOP/s", "GB/s")
				})
			}
		}
	}
}

func BenchmarkGemvQ4F32(b *testing.B) {
	const g = 64
	for _, s := range []gemmCase{{1, 2560, 2560}, {1, 10240, 2560}} {
		for _, im := range available() {
			for _, dram := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/n=%d,k=%d/%s", im.name, s.n, s.k, map[bool]string{false: "hot", true: "dram"}[dram]), func(b *testing.B) {
					n, k := s.n, s.k
					rb, ng := Q4RowBytes(k, g), Q4Groups(k, g)
					bytes := n * (rb + 2*ng)
					nb := copies(dram, bytes)
					w, sc := make([]uint8, nb*n*rb), make([]uint16, nb*n*ng)
					x, y := make([]float32, k), make([]float32, n)
					for i := range w {
						w[i] = uint8(i * 7)
					}
					for i := range sc {
						sc[i] = 0x2000 + uint16(i%977)
					}
					fillF32(x)
					i := 0
					cpu0 := cpuNow()
					for b.Loop() {
						im.gemvQ4F32(n, k, g, w[i*n*rb:(i+1)*n*rb], sc[i*n*ng:(i+1)*n*ng], x, y)
						i = (i + 1) % nb
					}
					report(b, cpu0, 2*float64(n*k), float64(bytes), "GFLOP/s", "GB/s")
				})
			}
		}
	}
}

func BenchmarkQuantizeRow(b *testing.B) {
	for _, im := range available() {
		b.Run(im.name, func(b *testing.B) {
			x, q := make([]float32, 1408), make([]int8, 1408)
			fillF32(x)
			cpu0 := cpuNow()
			for b.Loop() {
				im.quantizeRow(x, q)
			}
			report(b, cpu0, 0, float64(len(x)*4), "", "GB/s")
		})
	}
}

// BenchmarkMath times the element-wise math of every set on rows of the image path's
// shapes (ViT-g: MLP width 6144, 257 tokens, hidden 1408); ns/op is per row.
func BenchmarkMath(b *testing.B) {
	for _, im := range available() {
		x, y := make([]float32, 6144), make([]float32, 6144)
		w, bias := make([]float32, 1408), make([]float32, 1408)
		fillF32(x)
		fillF32(w)
		fillF32(bias)
		for _, tc := range []struct {
			name string
			f    func()
		}{
			{"GELU-6144", func() { copy(y, x); im.gelu(y) }},
			{"GELUTanh-6144", func() { copy(y, x); im.geluTanh(y) }},
			{"Softmax-257", func() { copy(y, x[:257]); Softmax(y[:257], 0.125) }},
			{"LayerNorm-1408", func() { LayerNorm(x[:1408], y[:1408], w, bias, 1e-6) }},
		} {
			b.Run(im.name+"/"+tc.name, func(b *testing.B) {
				saved := active
				active = im // Softmax and LayerNorm dispatch on active
				defer func() { active = saved }()
				for b.Loop() {
					tc.f()
				}
			})
		}
	}
}

// BenchmarkCopyBandwidth is STREAM's copy: two arrays well beyond the caches, GB/s
// counted as STREAM does (bytes read + bytes written). BenchmarkReadBandwidth reads
// one such array (Dot of it with itself): the ceiling of a weight-streaming kernel.
func BenchmarkCopyBandwidth(b *testing.B) {
	src, dst := make([]float32, dramBytes/4), make([]float32, dramBytes/4)
	fillF32(src)
	fillF32(dst) // fault the pages in before timing
	cpu0 := cpuNow()
	for b.Loop() {
		copy(dst, src)
	}
	report(b, cpu0, 0, 2*dramBytes, "", "GB/s")
}

func BenchmarkReadBandwidth(b *testing.B) {
	src := make([]float32, dramBytes/4)
	fillF32(src)
	cpu0 := cpuNow()
	for b.Loop() {
		Dot(src, src)
	}
	report(b, cpu0, 0, dramBytes, "", "GB/s")
}
