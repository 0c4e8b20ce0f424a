package blip2

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// halfCopy writes a copy of the checkpoint folder src into dst with every float tensor
// stored as dtype (F16 or BF16), as the hub's 16-bit checkpoints are: the other files
// (config, tokenizer, shard index) are copied as they are.
func halfCopy(t *testing.T, src, dst string, dtype safetensors.DType) {
	t.Helper()
	narrow := safetensors.F32ToF16
	if dtype == safetensors.BF16 {
		narrow = safetensors.F32ToBF16
	}
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if !strings.HasSuffix(e.Name(), ".safetensors") {
			raw, err := os.ReadFile(from)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(to, raw, 0o644))
			continue
		}
		a, err := safetensors.Open(from)
		require.NoError(t, err)
		var tensors []safetensors.Tensor
		for _, name := range a.Names() {
			info, _ := a.Info(name)
			raw, err := a.Bytes(name)
			require.NoError(t, err)
			data := append([]byte(nil), raw...)
			if info.DType == safetensors.F32 || info.DType == safetensors.F16 || info.DType == safetensors.BF16 {
				vals, err := a.Float32(name)
				require.NoError(t, err)
				data = make([]byte, 2*len(vals))
				for i, v := range vals {
					binary.LittleEndian.PutUint16(data[2*i:], narrow(v))
				}
				info.DType = dtype
			}
			tensors = append(tensors, safetensors.Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: data})
		}
		require.NoError(t, safetensors.WriteFile(to, tensors, a.Metadata()))
		require.NoError(t, a.Close())
	}
}

// TestHalfWeightsKeepTheGreedyTokens runs the golden cases with 16-bit weights: fp16 and
// bf16 copies of each fixture loaded as stored (matrices 16-bit, widened inside the
// kernels), and the fp32 fixture narrowed on load (--dtype). Every case's greedy tokens
// must equal transformers' fp32 ones (the shapes model is stored in fp16 and its
// goldens were made from it, so there its "fp16" rows are the checkpoint as stored).
func TestHalfWeightsKeepTheGreedyTokens(t *testing.T) {
	be := cpu.New(0)
	for _, gs := range goldenSets {
		t.Run(gs.name, func(t *testing.T) {
			g := openGoldenSet(t, gs.name, gs.model, gs.vision, gs.qformer, gs.logits)
			f32, err := Load(gs.model, Options{Backend: be, DType: weights.FP32}) // the shapes model is stored in fp16
			require.NoError(t, err)
			defer f32.Close()
			for _, v := range []struct {
				name   string
				stored safetensors.DType // "" loads the fp32 fixture
				dtype  weights.DType
			}{
				{"fp16 folder", safetensors.F16, weights.Auto},
				{"bf16 folder", safetensors.BF16, weights.Auto},
				{"fp32 folder --dtype fp16", "", weights.FP16},
				{"fp32 folder --dtype bf16", "", weights.BF16},
			} {
				dir := gs.model
				if v.stored != "" {
					dir = filepath.Join(t.TempDir(), "model")
					halfCopy(t, gs.model, dir, v.stored)
				}
				m, err := Load(dir, Options{Backend: be, DType: v.dtype})
				require.NoError(t, err, v.name)
				require.Less(t, float64(m.WeightBytes), 0.6*float64(f32.WeightBytes), "%s: the matrices are 16-bit", v.name)
				same := 0
				var differ []string
				for _, c := range g.manifest.Cases {
					f, err := m.EncodePixels(g.pixels(t, f32, c))
					require.NoError(t, err)
					ids, err := m.InputIDs(c.Prompt)
					require.NoError(t, err)
					emb, err := m.InputEmbeddings(f.Prefix, ids)
					require.NoError(t, err)
					seq, _, err := m.LM.Start(emb, len(c.GreedyIDs), false)
					require.NoError(t, err)
					out, err := runtime.Generate(context.Background(), seq, ids, runtime.GenerateOptions{MaxNewTokens: len(c.GreedyIDs), EOS: []int{g.manifest.EOS}})
					require.NoError(t, err)
					if slicesEqual(out.Tokens, c.GreedyIDs) {
						same++
					} else {
						differ = append(differ, c.Name)
					}
				}
				require.NoError(t, m.Close())
				n := len(g.manifest.Cases)
				t.Logf("%s %s: weights %.2f MB (fp32 %.2f MB), greedy tokens identical to the fp32 goldens in %d/%d cases; differ: %v",
					gs.name, v.name, float64(m.WeightBytes)/1e6, float64(f32.WeightBytes)/1e6, same, n, differ)
				require.Equal(t, n, same, "%s: 16-bit weights must keep every greedy token", v.name)
			}
		})
	}
}
