package cpu

import (
	"fmt"
	"testing"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// BenchmarkLinearImage times the shapes model's image-path products (197 rows) in fp32 and
// W8A8, with and without GELU, on one and two threads.
func BenchmarkLinearImage(b *testing.B) {
	for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActGELU} {
		for _, threads := range []int{1, 2} {
			for _, i8 := range []bool{false, true} {
				for _, s := range [][3]int{{197, 768, 192}, {197, 192, 768}, {197, 576, 192}} {
					m, n, k := s[0], s[1], s[2]
					b.Run(fmt.Sprintf("act%d/t%d/i8=%v/%dx%dx%d", act, threads, i8, m, n, k), func(b *testing.B) {
						be := New(threads)
						defer be.Close()
						wf := make([]float32, n*k)
						for i := range wf {
							wf[i] = float32(i%13-6) / 7
						}
						w := &runtime.Weight{Out: n, In: k, F32: wf}
						if i8 {
							q := make([]int8, n*k)
							sc := make([]float32, n)
							for r := range n {
								sc[r] = kernels.QuantizeRowSymmetric(wf[r*k:(r+1)*k], q[r*k:(r+1)*k])
							}
							w = &runtime.Weight{Out: n, In: k, I8: q, Scales: sc, ActInt8: true}
						}
						x := make([]float32, m*k)
						for i := range x {
							x[i] = float32(i%7-3) / 3
						}
						xt := be.FromHost(x, m, k)
						out := make([]float32, m*n)
						l := runtime.Linear{W: w, Bias: make([]float32, n)}
						for b.Loop() {
							be.linear(xt, l, out, false, act)
						}
					})
				}
			}
		}
	}
}

// BenchmarkLinearDecode streams int8 decoding products (one row) over 240 MiB of
// OPT-2.7b-sized weights, far past the caches, and reports their read rate beside a
// plain streaming read on the same threads: how close decoding gets to the memory.
func BenchmarkLinearDecode(b *testing.B) {
	const n, k, mats = 10240, 2560, 10 // fc1-sized: 25 MiB each
	ws := make([]*runtime.Weight, mats)
	for i := range ws {
		q := make([]int8, n*k)
		for j := range q {
			q[j] = int8(j*7 + i)
		}
		sc := make([]float32, n)
		for j := range sc {
			sc[j] = 0.01
		}
		ws[i] = &runtime.Weight{Out: n, In: k, I8: q, Scales: sc}
	}
	x := make([]float32, k)
	for i := range x {
		x[i] = float32(i%7-3) / 3
	}
	read := make([]float32, 64<<20)
	for i := range read {
		read[i] = 1
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", threads), func(b *testing.B) {
			be := New(threads)
			defer be.Close()
			xt := be.FromHost(x, 1, k)
			out := make([]float32, n)
			b.SetBytes(int64(n * k))
			i := 0
			for b.Loop() {
				be.linear(xt, runtime.Linear{W: ws[i%mats]}, out, false, runtime.ActIdentity)
				i++
			}
			b.StopTimer()
			gbs, err := ReadGBs(b.Context(), read, threads)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(gbs, "readGB/s")
		})
	}
}
