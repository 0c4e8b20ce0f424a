package blip2

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestInt8AgainstFloat reports how far the int8 model's logits move from fp32 on the tiny
// fixtures, and checks the shapes model still says the same on the demo cases.
func TestInt8AgainstFloat(t *testing.T) {
	be := cpu.New(0)
	for _, gs := range goldenSets {
		t.Run(gs.name, func(t *testing.T) {
			g := openGoldenSet(t, gs.name, gs.model, gs.vision, gs.qformer, gs.logits)
			f32, err := Load(gs.model, Options{Backend: be})
			require.NoError(t, err)
			defer f32.Close()
			i8, err := Load(gs.model, Options{Backend: be, Int8: true})
			require.NoError(t, err)
			defer i8.Close()
			require.Less(t, i8.WeightBytes, f32.WeightBytes)
			minCos, maxDiff, same := 1.0, 0.0, 0
			for _, c := range g.manifest.Cases {
				pixels := g.pixels(t, f32, c)
				logits := func(m *Model) ([]float32, []int) {
					f, err := m.EncodePixels(pixels)
					require.NoError(t, err)
					ids, err := m.InputIDs(c.Prompt)
					require.NoError(t, err)
					emb, err := m.InputEmbeddings(f.Prefix, ids)
					require.NoError(t, err)
					seq, all, err := m.LM.Start(emb, 20, true)
					require.NoError(t, err)
					out, err := runtime.Generate(context.Background(), seq, ids, runtime.GenerateOptions{MaxNewTokens: 20, EOS: []int{g.manifest.EOS}})
					require.NoError(t, err)
					return m.Backend.Host(all, nil), out.Tokens
				}
				a, ta := logits(f32)
				b, tb := logits(i8)
				minCos = math.Min(minCos, cosine(a, b))
				maxDiff = math.Max(maxDiff, maxAbsDiff(a, b))
				if slicesEqual(ta, tb) {
					same++
				}
			}
			n := len(g.manifest.Cases)
			t.Logf("%s int8 vs fp32: weights %.2f MB → %.2f MB, prompt logits min cosine %.5f, max abs diff %.4f, generated text identical in %d/%d cases",
				gs.name, float64(f32.WeightBytes)/1e6, float64(i8.WeightBytes)/1e6, minCos, maxDiff, same, n)
			require.Greater(t, minCos, 0.99)
			if gs.name == "demo" {
				require.GreaterOrEqual(t, float64(same)/float64(n), 0.95, "int8 must keep the demo text in at least 95%% of cases")
			}
		})
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestQuantizedCheckpoint writes an int8 checkpoint, loads it, and checks it computes
// exactly what quantizing on load computes; a damaged copy is refused.
func TestQuantizedCheckpoint(t *testing.T) {
	be := cpu.New(0)
	src := filepath.Join(testdata, "tiny-opt/model")
	out := filepath.Join(t.TempDir(), "tiny-opt-int8")
	rep, err := quant.WriteCheckpoint(context.Background(), src, out, quant.Options{Plan: QuantPlan(false),
		Verify: func(dir string) error {
			m, err := Load(dir, Options{Backend: be})
			if err == nil {
				m.Close()
			}
			return err
		},
	})
	require.NoError(t, err)
	require.Positive(t, rep.Quantized)
	require.Less(t, rep.BytesOut, rep.BytesIn)
	dirInfo, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), dirInfo.Mode().Perm(), "an ordinary folder, not a private one")

	loaded, err := Load(out, Options{Backend: be})
	require.NoError(t, err)
	defer loaded.Close()
	onLoad, err := Load(src, Options{Backend: be, Int8: true})
	require.NoError(t, err)
	defer onLoad.Close()
	pixels := make([]float32, 3*224*224)
	for i := range pixels {
		pixels[i] = float32(i%17)/8 - 1
	}
	a, err := loaded.EncodePixels(pixels)
	require.NoError(t, err)
	b, err := onLoad.EncodePixels(pixels)
	require.NoError(t, err)
	require.Equal(t, be.Host(b.Prefix, nil), be.Host(a.Prefix, nil))

	// Refused: the output exists already.
	_, err = quant.WriteCheckpoint(context.Background(), src, out, quant.Options{Plan: QuantPlan(false)})
	require.ErrorContains(t, err, "already exists")
	// Refused: re-quantizing a quantized checkpoint.
	_, err = quant.WriteCheckpoint(context.Background(), out, out+"-again", quant.Options{Plan: QuantPlan(false)})
	require.ErrorContains(t, err, "already quantized")

	// Damaged after quantization: a truncated file, and a missing scale.
	trunc := copyDir(t, out)
	st, err := os.Stat(filepath.Join(trunc, "model.safetensors"))
	require.NoError(t, err)
	require.NoError(t, os.Truncate(filepath.Join(trunc, "model.safetensors"), st.Size()/2))
	_, err = Load(trunc, Options{Backend: be})
	require.Error(t, err)
	require.Contains(t, err.Error(), "model.safetensors")

	noScale := copyDir(t, out)
	rewriteWithout(t, filepath.Join(noScale, "model.safetensors"), "language_model.model.decoder.layers.0.fc1.weight_scale")
	_, err = Load(noScale, Options{Backend: be})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "fc1.weight_scale") && strings.Contains(err.Error(), "missing"), err.Error())
}
