package cuda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
	"github.com/edgevlm/edge/runtime/cuda"
)

// TestRealShapesSpeed times blip2-opt-2.7b and blip2-flan-t5-xl in fp16 with random
// weights in the public checkpoints' shapes, the way testdata/hf-baseline-h200.json was
// measured: image→prefix (3 warm-ups, median of 10), first token = generate(k=1), per
// decoded token = (t(33) − t(1))/32 (medians of 5), input [image]*32 + BOS + 10 ids.
// It only reports (BENCH lines, and JSON to $EDGE_CUDA_BENCH_OUT); it asserts nothing
// about speed. Set EDGE_CUDA_BENCH=1 to run it: it writes ~7.5 GB per model.
func TestRealShapesSpeed(t *testing.T) {
	if os.Getenv("EDGE_CUDA_BENCH") != "1" {
		t.Skip("set EDGE_CUDA_BENCH=1 to time the real shapes (needs a GPU, ~24 GB of RAM and ~8 GB of disk)")
	}
	models := []string{"blip2-opt-2.7b", "blip2-flan-t5-xl"}
	if m := os.Getenv("EDGE_CUDA_BENCH_MODELS"); m != "" {
		models = strings.Split(m, ",")
	}
	baseline := readBaseline(t)
	var results []map[string]any
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			be := openBackend(t, cuda.FP16)
			r := benchModel(t, be, name, realConfigDirs(name))
			if hf, ok := baseline[name].(map[string]any); ok {
				r["hf_baseline"] = map[string]any{"gpu": baseline["gpu"], "image_ms": first(hf["vision_qformer_proj_b1_ms"]),
					"first_token_ms": first(hf["generate_1_ms"]), "decode_ms_per_token": hf["decode_ms_per_token"],
					"beam5_33_ms": first(hf["generate_33_beam5_ms"])}
			}
			line, err := json.Marshal(r)
			require.NoError(t, err)
			t.Logf("BENCH %s", line)
			results = append(results, r)
		})
		debug.FreeOSMemory()
	}
	if out := os.Getenv("EDGE_CUDA_BENCH_OUT"); out != "" && len(results) > 0 {
		data, err := json.MarshalIndent(results, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(out, data, 0o644))
	}
}

func first(v any) any {
	if s, ok := v.([]any); ok && len(s) > 0 {
		return s[0]
	}
	return nil
}

func readBaseline(t *testing.T) map[string]any {
	raw, err := os.ReadFile(filepath.Join(testdata, "hf-baseline-h200.json"))
	require.NoError(t, err)
	var b map[string]any
	require.NoError(t, json.Unmarshal(raw, &b))
	return b
}

// realConfigDirs are the folders whose files make a loadable checkpoint of name (all but
// the weights): the real hub metadata, and for OPT its tokenizer.
func realConfigDirs(name string) []string {
	dirs := []string{filepath.Join(testdata, "real-configs", name)}
	if name == "blip2-opt-2.7b" {
		dirs = append(dirs, filepath.Join(testdata, "real-tokenizers", "opt"))
	}
	return dirs
}

// TestBenchFlowOnCPU runs the benchmark's whole flow (random checkpoint, load, every
// timing) on the tiny fixtures with the CPU backend, so the GPU session only meets
// problems of the GPU.
func TestBenchFlowOnCPU(t *testing.T) {
	legacy := legacyLayout(t, filepath.Join(testdata, "tiny-t5", "model"))
	for _, c := range []struct{ name, dir string }{
		{"tiny-opt", filepath.Join(testdata, "tiny-opt", "model")},
		{"tiny-t5", filepath.Join(testdata, "tiny-t5", "model")},
		{"tiny-t5-legacy", legacy}, // blip2-flan-t5-xl's layout: the prefix goes in front of the ids
	} {
		t.Run(c.name, func(t *testing.T) {
			r := benchModel(t, cpu.New(2), c.name, []string{c.dir})
			require.Equal(t, "cpu", r["backend"])
			line, err := json.Marshal(r)
			require.NoError(t, err)
			t.Logf("BENCH %s", line)
		})
	}
}

// legacyLayout copies a model's metadata with image_token_index removed (the older hub
// layout); the weights are not copied, since the benchmark writes its own.
func legacyLayout(t *testing.T, dir string) string {
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "model.safetensors") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		if e.Name() == "config.json" {
			var cfg map[string]any
			require.NoError(t, json.Unmarshal(data, &cfg))
			delete(cfg, "image_token_index")
			delete(cfg, "image_token_id")
			data, err = json.Marshal(cfg)
			require.NoError(t, err)
		}
		require.NoError(t, os.WriteFile(filepath.Join(out, e.Name()), data, 0o644))
	}
	return out
}

func benchModel(t *testing.T, be runtime.Backend, name string, cfgDirs []string) map[string]any {
	cfg, err := hfconfig.Load(cfgDirs[0])
	require.NoError(t, err)

	t0 := time.Now()
	dir := writeRandomCheckpoint(t, name, cfgDirs, cfg)
	written := time.Since(t0)
	t0 = time.Now()
	m, err := blip2.Load(dir, blip2.Options{Backend: be})
	require.NoError(t, err)
	defer m.Close()
	loaded := time.Since(t0)
	// The checkpoint's floats now live in the model; the file is no longer needed.
	require.NoError(t, os.RemoveAll(filepath.Dir(dir)))

	rng := rand.New(rand.NewPCG(11, 11))
	s := cfg.Vision.ImageSize
	pixels := make([]float32, 3*s*s)
	for i := range pixels {
		pixels[i] = float32(rng.NormFloat64())
	}
	ids := benchIDs(m)
	ctx := context.Background()

	// The first call uploads the image path's weights: time it apart.
	t0 = time.Now()
	_, err = m.EncodePixels(pixels)
	require.NoError(t, err)
	firstImage := time.Since(t0)
	image := timeMS(t, 2, 10, func() error { _, err := m.EncodePixels(pixels); return err })

	generate := func(k int) func() error {
		return func() error {
			f, err := m.EncodePixels(pixels)
			if err != nil {
				return err
			}
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			if err != nil {
				return err
			}
			seq, _, err := m.LM.Start(emb, k, false)
			if err != nil {
				return err
			}
			out, err := runtime.Generate(ctx, seq, ids, runtime.GenerateOptions{MaxNewTokens: k, MinNewTokens: k, EOS: m.Config.Text.EosTokenIDs})
			if err == nil && len(out.Tokens) != k {
				err = fmt.Errorf("generated %d tokens, want %d", len(out.Tokens), k)
			}
			return err
		}
	}
	t0 = time.Now()
	require.NoError(t, generate(1)()) // uploads the language model's weights
	firstGenerate := time.Since(t0)
	first := timeMS(t, 1, 5, generate(1))
	gen33 := timeMS(t, 1, 5, generate(33))
	perToken := (gen33[0] - first[0]) / 32

	// A second view of decoding: each Feed timed on its own.
	f, err := m.EncodePixels(pixels)
	require.NoError(t, err)
	emb, err := m.InputEmbeddings(f.Prefix, ids)
	require.NoError(t, err)
	seq, _, err := m.LM.Start(emb, 32, false)
	require.NoError(t, err)
	var feeds []float64
	for i := 0; i < 32; i++ {
		t0 := time.Now()
		require.NoError(t, seq.Feed(promptID(m, 11+i)))
		feeds = append(feeds, ms(time.Since(t0)))
	}
	require.False(t, slices.ContainsFunc(be.Host(seq.Logits(), nil), func(v float32) bool { return math.IsNaN(float64(v)) }), "NaN logits")

	r := map[string]any{
		"model": name, "backend": be.Name(),
		"write_checkpoint_s": written.Seconds(), "load_s": loaded.Seconds(),
		"first_image_ms_with_upload": ms(firstImage), "first_generate_ms_with_upload": ms(firstGenerate),
		"image_ms": image, "first_token_ms": first, "generate_33_ms": gen33,
		"decode_ms_per_token": perToken, "feed_ms_median": median(feeds),
		"input_positions": len(ids) + boolInt(m.Config.ImageTokenIndex < 0)*m.Config.NumQueryTokens,
		"tokens_per_run":  []int{1, 33},
	}
	if os.Getenv("EDGE_CUDA_BENCH_BEAMS") == "1" {
		beam := timeMS(t, 0, 1, func() error {
			f, err := m.EncodePixels(pixels)
			if err != nil {
				return err
			}
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			if err != nil {
				return err
			}
			seq, _, err := m.LM.Start(emb, 33, false)
			if err != nil {
				return err
			}
			_, err = runtime.Generate(ctx, seq, ids, runtime.GenerateOptions{MaxNewTokens: 33, MinNewTokens: 33, NumBeams: 5, EOS: m.Config.Text.EosTokenIDs})
			return err
		})
		r["beam5_33_ms"] = beam
	}
	if cb, ok := be.(*cuda.Backend); ok {
		r["backend"], r["precision"] = cb.Describe(), cb.Precision().String()
		r["weights_resident_gib"] = float64(cb.ResidentBytes()) / (1 << 30)
		if free, total, err := cb.MemInfo(); err == nil {
			r["device_used_gib"] = float64(total-free) / (1 << 30)
		}
	}
	return r
}

// benchIDs is the baseline's input: 32 image tokens (current layout), BOS for OPT,
// 10 prompt ids, EOS for T5 (its tokenizer appends it). The older T5 layout puts the 32
// prefix rows in front of the ids instead.
func benchIDs(m *blip2.Model) []int {
	var ids []int
	if m.Config.ImageTokenIndex >= 0 {
		for i := 0; i < m.Config.NumQueryTokens; i++ {
			ids = append(ids, m.Config.ImageTokenIndex)
		}
	}
	if !m.Config.IsEncoderDecoder() {
		ids = append(ids, m.Config.Text.BosTokenID)
	}
	for i := 0; i < 10; i++ {
		ids = append(ids, promptID(m, i))
	}
	if m.Config.IsEncoderDecoder() {
		ids = append(ids, m.Config.Text.EosTokenIDs[0])
	}
	return ids
}

// promptID is an ordinary token id (not special, inside the vocabulary).
func promptID(m *blip2.Model, i int) int { return 3 + (1000+37*i)%(m.LM.VocabSize()-3) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeMS runs f warm times untimed, then n times, and returns [median, min] in ms.
func timeMS(t *testing.T, warm, n int, f func() error) []float64 {
	for i := 0; i < warm; i++ {
		require.NoError(t, f())
	}
	var ts []float64
	for i := 0; i < n; i++ {
		t0 := time.Now()
		require.NoError(t, f())
		ts = append(ts, ms(time.Since(t0)))
	}
	return []float64{median(ts), slices.Min(ts)}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
