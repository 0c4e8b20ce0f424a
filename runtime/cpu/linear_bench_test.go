package cpu

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

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

// BenchmarkLinearDecode streams int8 decoding products (one row) through the linear
// layers of four OPT-2.7b decoder layers (q, k, v, out: 2560², fc1 and fc2: 10240 ×
// 2560; 315 MB, far past the caches), and reports their read rate beside a plain
// streaming read on the same threads: how close decoding gets to the memory. Since
// other work on the machine moves the bandwidth from second to second, it also reports
// ×dot: the median, over 20 alternations, of the products' time over that of a dot
// product of the same weight bytes split the same way (kernels.Dot through the pool).
func BenchmarkLinearDecode(b *testing.B) {
	const d, f, layers = 2560, 10240, 4
	var ws []*runtime.Weight
	bytes := 0
	for l := range layers {
		for _, s := range [][2]int{{d, d}, {d, d}, {d, d}, {d, d}, {f, d}, {d, f}} {
			n, k := s[0], s[1]
			q := make([]int8, n*k)
			for j := range q {
				q[j] = int8(j*7 + l)
			}
			sc := make([]float32, n)
			for j := range sc {
				sc[j] = 0.01
			}
			ws = append(ws, &runtime.Weight{Out: n, In: k, I8: q, Scales: sc})
			bytes += n * k
		}
	}
	x := make([]float32, f)
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
			out := make([]float32, f)
			xs := map[int]*runtime.Tensor{d: be.FromHost(x[:d], 1, d), f: be.FromHost(x, 1, f)}
			products := func() time.Duration {
				t0 := time.Now()
				for _, w := range ws {
					be.linear(xs[w.In], runtime.Linear{W: w}, out[:w.Out], false, runtime.ActIdentity)
				}
				return time.Since(t0)
			}
			b.SetBytes(int64(bytes))
			for b.Loop() {
				products()
			}
			b.StopTimer()
			gbs, err := ReadGBs(b.Context(), read, threads)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(gbs, "readGB/s")
			var ratios []float64
			for range 20 {
				dt := dotWeights(be, ws)
				ratios = append(ratios, float64(products())/float64(dt))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "×dot")
		})
	}
}

var dotSink float32

// dotWeights reads every weight's bytes as a dot product of themselves, split over the
// backend's threads as the products split their rows.
func dotWeights(be *Backend, ws []*runtime.Weight) time.Duration {
	t0 := time.Now()
	for _, w := range ws {
		t := task{w: w, k: w.In}
		be.parallelAligned(w.Out, 16, 4, dotRows, &t)
	}
	return time.Since(t0)
}

func dotRows(t *task, lo, hi int) {
	b := t.w.I8[lo*t.k : hi*t.k]
	f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
	s := kernels.Dot(f, f)
	if s == 1 { // never: keeps the sum alive
		dotSink = s
	}
}
