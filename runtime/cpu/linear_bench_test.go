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

// BenchmarkLinearDecode streams int8 and fp16 decoding products (one row) through the linear
// layers of four OPT-2.7b decoder layers (q, k, v, out: 2560², fc1 and fc2: 10240 ×
// 2560; 315 MB in int8, far past the caches), and reports their read rate beside a plain
// streaming read on the same threads: how close decoding gets to the memory. Since
// other work on the machine moves the bandwidth from second to second, it also reports
// ×dot: the median, over 20 alternations, of the products' time over that of a dot
// product of the same weight bytes split the same way (kernels.Dot through the pool).
func BenchmarkLinearDecode(b *testing.B) {
	const d, f, layers = 2560, 10240, 4
	x := make([]float32, f)
	for i := range x {
		x[i] = float32(i%7-3) / 3
	}
	read := make([]float32, 64<<20)
	for i := range read {
		read[i] = 1
	}
	for _, kind := range []string{"int8", "fp16"} {
		var ws []*runtime.Weight
		bytes := 0
		for l := range layers {
			for _, s := range [][2]int{{d, d}, {d, d}, {d, d}, {d, d}, {f, d}, {d, f}} {
				n, k := s[0], s[1]
				w := &runtime.Weight{Out: n, In: k}
				if kind == "int8" {
					w.I8, w.Scales = make([]int8, n*k), make([]float32, n)
					for j := range w.I8 {
						w.I8[j] = int8(j*7 + l)
					}
					for j := range w.Scales {
						w.Scales[j] = 0.01
					}
				} else {
					w.Half = make([]uint16, n*k)
					for j := range w.Half {
						w.Half[j] = uint16(0x3000 + (j*7+l)%0x800) // fp16 values in [0.125, 0.5)
					}
				}
				ws = append(ws, w)
				bytes += w.Bytes()
			}
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", kind, threads), func(b *testing.B) {
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
	var f []float32
	if w := t.w; w.I8 != nil {
		b := w.I8[lo*t.k : hi*t.k]
		f = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
	} else {
		h := w.Half[lo*t.k : hi*t.k]
		f = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(h))), len(h)/2)
	}
	s := kernels.Dot(f, f)
	if s == 1 { // never: keeps the sum alive
		dotSink = s
	}
}
