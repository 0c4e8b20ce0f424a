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
