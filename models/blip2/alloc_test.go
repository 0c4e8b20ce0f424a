package blip2

import (
	"context"
	"math"
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// TestDecodeStepAllocatesNothing: after the first tokens, a greedy decode step (the
// argmax on the backend, then Feed) makes no Go heap allocation on the CPU backend, for
// OPT and T5, fp32 and int8, one thread and two (the worker pool takes part). Beam
// search forks sequences and keeps scores: its figure is reported, not bounded.
func TestDecodeStepAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("loads two models")
	}
	for _, tc := range []struct{ name, dir string }{
		{"opt", "../shapes/blip2-shapes-opt"},
		{"t5", testdata + "/tiny-t5/model"},
	} {
		for _, int8 := range []bool{false, true} {
			for _, threads := range []int{1, 2} {
				name := tc.name + map[bool]string{false: "/fp32", true: "/int8"}[int8] + map[int]string{1: "/1-thread", 2: "/2-threads"}[threads]
				t.Run(name, func(t *testing.T) {
					be := cpu.New(threads)
					defer be.Close()
					m, err := Load(tc.dir, Options{Backend: be, Int8: int8})
					require.NoError(t, err)
					defer m.Close()
					size := m.Config.Vision.ImageSize
					f, err := m.EncodePixels(make([]float32, 3*size*size))
					require.NoError(t, err)
					ids, err := m.InputIDs("")
					require.NoError(t, err)
					emb, err := m.InputEmbeddings(f.Prefix, ids)
					require.NoError(t, err)
					const warm, steps = 3, 20
					room := min(warm+steps+2, m.LM.ContextLength()-m.contextNeeded(ids, 0))
					require.Greater(t, room, warm+2, "the context leaves room to decode")
					seq, _, err := m.LM.Start(emb, room, false)
					require.NoError(t, err)
					step := func() {
						if err := seq.Feed(be.Argmax(seq.Logits())); err != nil {
							t.Fatal(err)
						}
					}
					for range warm {
						step()
					}
					runs := room - warm - 2 // AllocsPerRun calls step once more to warm up
					allocs := testing.AllocsPerRun(runs, step)
					t.Logf("%s: %.2f allocations per decoded token over %d steps", name, allocs, runs)
					require.Zero(t, allocs, "a greedy decode step allocates")
				})
			}
		}
		t.Run(tc.name+"/beam-3", func(t *testing.T) {
			be := cpu.New(2)
			defer be.Close()
			m, err := Load(tc.dir, Options{Backend: be})
			require.NoError(t, err)
			defer m.Close()
			size := m.Config.Vision.ImageSize
			pixels := make([]float32, 3*size*size)
			opts := m.DefaultGenerateOptions()
			opts.NumBeams, opts.MaxNewTokens, opts.MinNewTokens = 3, 12, 12
			run := func() {
				if _, err := m.GenerateFromPixels(context.Background(), pixels, "", opts); err != nil {
					t.Fatal(err)
				}
			}
			run()
			whole := testing.AllocsPerRun(3, run)
			opts.MaxNewTokens, opts.MinNewTokens = 1, 1
			one := testing.AllocsPerRun(3, run)
			t.Logf("%s beam-3: %.0f allocations per decoded token (a 12-token caption %.0f, the image path and prefill %.0f)",
				tc.name, (whole-one)/11, whole, one)
		})
	}
}

// TestGreedyGenerateAllocatesOnlyUpFront: runtime.Generate's loop adds no allocation per
// token; a 20-token greedy generation allocates what a 2-token one does.
func TestGreedyGenerateAllocatesOnlyUpFront(t *testing.T) {
	be := cpu.New(2)
	defer be.Close()
	m, err := Load("../shapes/blip2-shapes-opt", Options{Backend: be})
	require.NoError(t, err)
	defer m.Close()
	f, err := m.EncodePixels(make([]float32, 3*224*224))
	require.NoError(t, err)
	ids, err := m.InputIDs("")
	require.NoError(t, err)
	// count is the fewest heap allocations of one Generate of n tokens over three tries,
	// counted around the call alone (the sequence is started outside).
	count := func(n int) uint64 {
		best := uint64(math.MaxUint64)
		for range 3 {
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			require.NoError(t, err)
			seq, _, err := m.LM.Start(emb, n, false)
			require.NoError(t, err)
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			_, err = runtime.Generate(context.Background(), seq, ids, runtime.GenerateOptions{MaxNewTokens: n, EOS: []int{-1}})
			goruntime.ReadMemStats(&after)
			require.NoError(t, err)
			best = min(best, after.Mallocs-before.Mallocs)
		}
		return best
	}
	short, long := count(2), count(20)
	t.Logf("greedy Generate: %d allocations for 2 tokens, %d for 20", short, long)
	require.LessOrEqual(t, long, short, "allocations grow with the number of tokens")
}

// TestPrefixReuseGivesTheSameAnswers: a prefix computed once answers several prompts
// exactly as running the whole model on the image for each does.
func TestPrefixReuseGivesTheSameAnswers(t *testing.T) {
	be := cpu.New(2)
	defer be.Close()
	m, err := Load("../shapes/blip2-shapes-opt", Options{Backend: be})
	require.NoError(t, err)
	defer m.Close()
	img, err := preprocess.DecodeFile(testdata + "/demo/images/scene00.png")
	require.NoError(t, err)
	prefix, tm, err := m.ImagePrefix(img)
	require.NoError(t, err)
	require.Positive(t, tm.Image)
	opts := m.DefaultGenerateOptions()
	for _, prompt := range []string{"", "a picture of", "Question: what color is the background? Answer:", "Question: how many shapes are there? Answer:"} {
		whole, err := m.Generate(context.Background(), img, prompt, opts)
		require.NoError(t, err)
		reused, err := m.GenerateWithPrefix(context.Background(), prefix, prompt, opts)
		require.NoError(t, err)
		require.Equal(t, whole.Tokens, reused.Tokens, "prompt %q", prompt)
		require.Zero(t, reused.Timings.Image, "no image path when the prefix is given")
	}
}
