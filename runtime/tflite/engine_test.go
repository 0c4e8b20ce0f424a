//go:build tflite && cgo

package tflite_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
	"github.com/edgevlm/edge/runtime/tflite"
)

// needLibrary skips the test when the TFLite C library cannot be loaded here.
func needLibrary(t testing.TB) {
	t.Helper()
	if err := tflite.LoadLibrary(tflite.Config{}); err != nil {
		t.Skipf("TFLite C library not installed (scripts/install-tflite.sh): %v", err)
	}
}

type testCase struct {
	Name      string `json:"name"`
	Image     string `json:"image"`
	Prompt    string `json:"prompt"`
	GreedyIDs []int  `json:"greedy_ids"`
}

type fixture struct {
	name, dir, model string
	cases            []testCase
}

func openFixture(t testing.TB, name, model string) fixture {
	t.Helper()
	f := fixture{name: name, dir: filepath.Join(testdata, name), model: model}
	raw, err := os.ReadFile(filepath.Join(f.dir, "manifest.json"))
	require.NoError(t, err)
	var m struct {
		Cases []testCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	f.cases = m.Cases
	return f
}

var fixtures = []struct{ name, model string }{
	{"demo", "../../models/shapes/blip2-shapes-opt"},
	{"tiny-opt", filepath.Join(testdata, "tiny-opt/model")},
	{"tiny-t5", filepath.Join(testdata, "tiny-t5/model")},
}

// images returns the preprocessed pixels of each distinct image of the fixture.
func (f fixture) images(t testing.TB, m *blip2.Model) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, c := range f.cases {
		if _, ok := out[c.Image]; ok {
			continue
		}
		img, err := preprocess.DecodeFile(filepath.Join(f.dir, "images", c.Image))
		require.NoError(t, err)
		px, err := m.PixelValues(img)
		require.NoError(t, err)
		out[c.Image] = px
	}
	return out
}

func export(t testing.TB, model string, int8 bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image_path.tflite")
	require.NoError(t, blip2.WriteTFLite(context.Background(), model, path, blip2.TFLiteOptions{Int8: int8}))
	return path
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestMatchesGoImagePath runs the exported fp32 file through go-tflite, with and
// without XNNPack, and compares with blip2.Model.EncodePixels on every fixture image.
func TestMatchesGoImagePath(t *testing.T) {
	needLibrary(t)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			f := openFixture(t, fx.name, fx.model)
			m, err := blip2.Load(fx.model, blip2.Options{Backend: cpu.New(0)})
			require.NoError(t, err)
			defer m.Close()
			path := export(t, fx.model, false)
			for _, noXNN := range []bool{false, true} {
				e, err := tflite.Open(path, tflite.Config{NoXNNPack: noXNN})
				require.NoError(t, err)
				worst := 0.0
				for name, px := range f.images(t, m) {
					want, err := m.EncodePixels(px)
					require.NoError(t, err)
					got, err := e.Run(context.Background(), px)
					require.NoError(t, err)
					require.Equal(t, want.Prefix.Numel(), len(got), name)
					d := maxAbsDiff(got, m.Backend.Host(want.Prefix, nil))
					require.LessOrEqual(t, d, 1e-4, "%s (%s): prefix max abs difference", name, e.Delegate())
					worst = math.Max(worst, d)
				}
				t.Logf("%s fp32 (%s): prefix max abs difference %.2g", fx.name, e.Delegate(), worst)
				require.NoError(t, e.Close())
			}
		})
	}
}

// TestInt8KeepsDemoCaptions feeds the int8 file's prefix into the project's language
// model and compares the greedy text with transformers' on every demo case.
func TestInt8KeepsDemoCaptions(t *testing.T) {
	needLibrary(t)
	fx := fixtures[0]
	f := openFixture(t, fx.name, fx.model)
	m, err := blip2.Load(fx.model, blip2.Options{Backend: cpu.New(0)})
	require.NoError(t, err)
	defer m.Close()
	e, err := tflite.Open(export(t, fx.model, true), tflite.Config{})
	require.NoError(t, err)
	defer e.Close()
	pixels := f.images(t, m)
	prefixes := map[string]*runtime.Tensor{}
	for name, px := range pixels {
		v, err := e.Run(context.Background(), px)
		require.NoError(t, err)
		prefixes[name] = m.Backend.FromHost(v, m.Config.NumQueryTokens, len(v)/m.Config.NumQueryTokens)
	}
	same := 0
	for _, c := range f.cases {
		ids, err := m.InputIDs(c.Prompt)
		require.NoError(t, err)
		emb, err := m.InputEmbeddings(prefixes[c.Image], ids)
		require.NoError(t, err)
		seq, _, err := m.LM.Start(emb, 20, false)
		require.NoError(t, err)
		out, err := runtime.Generate(context.Background(), seq, ids, runtime.GenerateOptions{MaxNewTokens: 20, EOS: m.Config.Text.EosTokenIDs})
		require.NoError(t, err)
		got, want := m.Tokenizer.Decode(out.Tokens, true), m.Tokenizer.Decode(c.GreedyIDs, true)
		if got == want {
			same++
		} else {
			t.Logf("%s: int8 %q, transformers %q", c.Name, got, want)
		}
	}
	n := len(f.cases)
	t.Logf("int8 TFLite (%s): demo text identical in %d/%d cases", e.Delegate(), same, n)
	require.GreaterOrEqual(t, float64(same)/float64(n), 0.95)
}

func writeF32(t testing.TB, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// TestNodeClient loads the exported files with a second client, tfjs-tflite-node in
// Node.js, and checks it computes what go-tflite computes.
func TestNodeClient(t *testing.T) {
	needLibrary(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	modules, err := filepath.Abs("../../third_party/tflite/node_modules")
	require.NoError(t, err)
	binding := filepath.Join(modules, "tfjs-tflite-node", "build", "Release", "node_tflite_binding.node")
	if _, err := os.Stat(binding); err != nil {
		t.Skipf("tfjs-tflite-node's binding is not built (scripts/install-tflite.sh): %v", err)
	}
	fx := fixtures[0]
	f := openFixture(t, fx.name, fx.model)
	m, err := blip2.Load(fx.model, blip2.Options{Backend: cpu.New(0)})
	require.NoError(t, err)
	defer m.Close()
	px := f.images(t, m)[f.cases[0].Image]
	want, err := m.EncodePixels(px)
	require.NoError(t, err)
	dir := t.TempDir()
	in := filepath.Join(dir, "pixels.f32")
	writeF32(t, in, px)
	for _, int8 := range []bool{false, true} {
		path := export(t, fx.model, int8)
		out := filepath.Join(dir, "prefix.f32")
		cmd := exec.Command(node, "testdata/node_client.js", path, in, out, "2")
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "node: %s", msg)
		var shapes struct {
			Input, Output struct{ Name, Shape string }
		}
		require.NoError(t, json.Unmarshal(msg, &shapes), "node printed %s", msg)
		require.Equal(t, blip2.TFLiteInput, shapes.Input.Name)
		require.Equal(t, blip2.TFLiteOutput, shapes.Output.Name)
		require.Equal(t, "1,16,192", shapes.Output.Shape)
		fromNode := readF32(t, out)

		e, err := tflite.Open(path, tflite.Config{NoXNNPack: true, Threads: 2})
		require.NoError(t, err)
		got, err := e.Run(context.Background(), px)
		require.NoError(t, err)
		d := maxAbsDiff(fromNode, got)
		dRef := maxAbsDiff(fromNode, m.Backend.Host(want.Prefix, nil))
		t.Logf("int8=%v: node vs go-tflite max abs difference %.2g; node vs edge's CPU path %.2g", int8, d, dRef)
		require.LessOrEqual(t, d, 1e-5)
		if !int8 {
			require.LessOrEqual(t, dRef, 1e-4)
		}
	}
}

// TestRefusesDamagedFiles: truncated or corrupted files fail in Open with a clear error
// before TFLite sees them (so this runs without the library too).
func TestRefusesDamagedFiles(t *testing.T) {
	path := export(t, fixtures[1].model, false)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dir := t.TempDir()
	for name, bad := range map[string][]byte{
		"truncated half":  data[:len(data)/2],
		"truncated end":   data[:len(data)-1000],
		"header only":     data[:16],
		"empty":           {},
		"wrong id":        append([]byte{data[0], data[1], data[2], data[3], 'X', 'X', 'X', 'X'}, data[8:]...),
		"bad root offset": append([]byte{0xff, 0xff, 0xff, 0x7f}, data[4:]...),
	} {
		p := filepath.Join(dir, "bad.tflite")
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		_, err := tflite.Open(p, tflite.Config{})
		require.Error(t, err, name)
		require.True(t, errors.Is(err, tflite.ErrInvalid), "%s: %v", name, err)
		require.Contains(t, err.Error(), p, name)
	}
	_, err = tflite.Open(filepath.Join(dir, "missing.tflite"), tflite.Config{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestMissingLibrary runs in a child process (the library is loaded once per process)
// and checks Open names the missing library and how to get it.
func TestMissingLibrary(t *testing.T) {
	if os.Getenv("EDGE_TFLITE_CHILD") == "1" {
		path := export(t, fixtures[1].model, false)
		_, err := tflite.Open(path, tflite.Config{LibraryPath: "/nonexistent/libtensorflowlite_c.so"})
		require.ErrorIs(t, err, tflite.ErrLibrary)
		require.Contains(t, err.Error(), "/nonexistent/libtensorflowlite_c.so")
		require.Contains(t, err.Error(), "install-tflite.sh")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), "EDGE_TFLITE_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestMissingLibrary")
}

// BenchmarkImagePath compares the project's CPU kernels with TFLite (XNNPack, TFLite's
// own kernels, int8 hybrid) on the shapes model's image path, with the same threads.
func BenchmarkImagePath(b *testing.B) {
	needLibrary(b)
	fx := fixtures[0]
	f := openFixture(b, fx.name, fx.model)
	fp32, int8 := export(b, fx.model, false), export(b, fx.model, true)
	for _, threads := range []int{1, 2} {
		m, err := blip2.Load(fx.model, blip2.Options{Backend: cpu.New(threads)})
		require.NoError(b, err)
		defer m.Close()
		px := f.images(b, m)[f.cases[0].Image]
		b.Run(fmt.Sprintf("threads=%d/go-cpu", threads), func(b *testing.B) {
			_, err := m.EncodePixels(px) // warm up, as the TFLite runs below do
			require.NoError(b, err)
			for b.Loop() {
				if _, err := m.EncodePixels(px); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, bc := range []struct {
			name string
			path string
			cfg  tflite.Config
		}{
			{"tflite-xnnpack", fp32, tflite.Config{Threads: threads}},
			{"tflite-builtin", fp32, tflite.Config{Threads: threads, NoXNNPack: true}},
			{"tflite-int8-xnnpack", int8, tflite.Config{Threads: threads}},
			{"tflite-int8-builtin", int8, tflite.Config{Threads: threads, NoXNNPack: true}},
		} {
			b.Run(fmt.Sprintf("threads=%d/%s", threads, bc.name), func(b *testing.B) {
				e, err := tflite.Open(bc.path, bc.cfg)
				require.NoError(b, err)
				defer e.Close()
				// The first invoke prepares XNNPack's packed weights: not part of a frame.
				_, err = e.Run(context.Background(), px)
				require.NoError(b, err)
				for b.Loop() {
					if _, err := e.Run(context.Background(), px); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
