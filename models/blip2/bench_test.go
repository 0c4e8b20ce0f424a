package blip2

import (
	"fmt"
	"testing"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/runtime/cpu"
)

// BenchmarkEncodePixels times the shapes model's image path (the input of
// testdata/onnx/io.safetensors), fp32 and int8, on one and two threads.
func BenchmarkEncodePixels(b *testing.B) {
	a, err := safetensors.Open(testdata + "/onnx/io.safetensors")
	if err != nil {
		b.Skip("no ONNX input:", err)
	}
	pixels, err := a.Float32("pixel_values")
	if err != nil {
		b.Fatal(err)
	}
	for _, int8 := range []bool{false, true} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("int8=%v/threads=%d", int8, threads), func(b *testing.B) {
				be := cpu.New(threads)
				defer be.Close()
				m, err := Load("../shapes/blip2-shapes-opt", Options{Backend: be, Int8: int8})
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.EncodePixels(pixels); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodeToken times one decoded token of the shapes model (fp32 and int8)
// with its allocations: after the first tokens the intermediates reuse memory.
func BenchmarkDecodeToken(b *testing.B) {
	for _, int8 := range []bool{false, true} {
		b.Run(fmt.Sprintf("int8=%v", int8), func(b *testing.B) {
			be := cpu.New(1)
			defer be.Close()
			m, err := Load("../shapes/blip2-shapes-opt", Options{Backend: be, Int8: int8})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			f, err := m.EncodePixels(make([]float32, 3*224*224))
			if err != nil {
				b.Fatal(err)
			}
			ids, err := m.InputIDs("")
			if err != nil {
				b.Fatal(err)
			}
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			if err != nil {
				b.Fatal(err)
			}
			seq, _, err := m.LM.Start(emb, 64, false)
			if err != nil {
				b.Fatal(err)
			}
			for range 4 {
				if err := seq.Feed(5); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if seq.Len() >= m.LM.ContextLength() {
					b.StopTimer()
					if seq, _, err = m.LM.Start(emb, 64, false); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if err := seq.Feed(5); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeStep times seq.Feed for one token with the KV cache, per language
// model (OPT: the shapes model; T5: tiny-t5), one thread. The context grows by one
// position a step, so every 64 steps a fresh clone of the started sequence replaces
// it outside the timer: each figure is the mean over positions prefix..prefix+64.
func BenchmarkDecodeStep(b *testing.B) {
	const window = 64
	for _, tc := range []struct{ name, dir string }{
		{"opt", "../shapes/blip2-shapes-opt"},
		{"t5", testdata + "/tiny-t5/model"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			be := cpu.New(1)
			defer be.Close()
			m, err := Load(tc.dir, Options{Backend: be})
			if err != nil {
				b.Skip("model not available:", err)
			}
			defer m.Close()
			size := m.Config.Vision.ImageSize
			f, err := m.EncodePixels(make([]float32, 3*size*size))
			if err != nil {
				b.Fatal(err)
			}
			ids, err := m.InputIDs("")
			if err != nil {
				b.Fatal(err)
			}
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			if err != nil {
				b.Fatal(err)
			}
			start, _, err := m.LM.Start(emb, 64, false)
			if err != nil {
				b.Fatal(err)
			}
			limit := min(start.Len()+window, m.LM.ContextLength())
			if start.Len() >= limit {
				b.Skipf("prefix of %d leaves no room in a context of %d", start.Len(), m.LM.ContextLength())
			}
			seq := start.Clone()
			b.ReportAllocs()
			for b.Loop() {
				if seq.Len() >= limit {
					b.StopTimer()
					seq = start.Clone()
					b.StartTimer()
				}
				if err := seq.Feed(5); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
