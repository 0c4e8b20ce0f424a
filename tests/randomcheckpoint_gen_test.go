package tests

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

// Every half and bfloat16 value (NaNs aside) survives float32 and back, and values
// between them round to nearest even, subnormals included.
func TestRandomCheckpointRounding(t *testing.T) {
	for h := range 1 << 16 {
		if f := safetensors.F16ToF32(uint16(h)); !math.IsNaN(float64(f)) {
			require.Equal(t, uint16(h), safetensors.F32ToF16(f), "half %#04x", h)
		}
		if f := safetensors.BF16ToF32(uint16(h)); !math.IsNaN(float64(f)) {
			require.Equal(t, uint16(h), safetensors.F32ToBF16(f), "bfloat16 %#04x", h)
		}
	}
	require.Equal(t, uint16(0), safetensors.F32ToF16(0x1p-25), "half the smallest subnormal: a tie, to even 0")
	require.Equal(t, uint16(1), safetensors.F32ToF16(0x1.8p-25))
	require.Equal(t, uint16(2), safetensors.F32ToF16(0x1.4p-23), "2.5 subnormal steps: a tie, to even 2")
	require.Equal(t, uint16(4), safetensors.F32ToF16(0x1.cp-23), "3.5 subnormal steps: a tie, to even 4")
	require.Equal(t, uint16(0x7c00), safetensors.F32ToF16(65520), "past the largest half: infinity")
	require.Equal(t, uint16(0x3f80), safetensors.F32ToBF16(1+0x1p-8), "a bfloat16 tie, to even")
}

// The generator writes the shapes model's layout (its two shards and index) with the
// random store's values in each dtype, and the edge binary captions from the result.
func TestRandomCheckpointLayout(t *testing.T) {
	src := "../models/shapes/blip2-shapes-opt"
	cfg, err := hfconfig.Load(src)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(src, indexName))
	require.NoError(t, err)
	var srcIndex struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	require.NoError(t, json.Unmarshal(raw, &srcIndex))
	store := blip2.NewRandomStore(cfg, false, false)
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16, safetensors.BF16} {
		t.Run(string(dt), func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "random")
			var last, total int64
			require.NoError(t, writeRandomCheckpoint(src, "", dst, dt, func(d, n int64) { last, total = d, n }))
			require.Equal(t, total, last, "progress ends at the total")

			raw, err := os.ReadFile(filepath.Join(dst, indexName))
			require.NoError(t, err)
			var index struct {
				Metadata  map[string]int64  `json:"metadata"`
				WeightMap map[string]string `json:"weight_map"`
			}
			require.NoError(t, json.Unmarshal(raw, &index))
			require.Equal(t, srcIndex.WeightMap, index.WeightMap)
			require.Equal(t, total, index.Metadata["total_size"])

			for _, file := range []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"} {
				arc, err := safetensors.Open(filepath.Join(dst, file))
				require.NoError(t, err)
				for _, name := range arc.Names() {
					require.Equal(t, file, index.WeightMap[name])
					info, _ := arc.Info(name)
					require.Equal(t, dt, info.DType, name)
					want, err := store.Float32(name)
					require.NoError(t, err)
					got, err := arc.Float32(name)
					require.NoError(t, err)
					for i, v := range want {
						switch dt {
						case safetensors.F16:
							want[i] = safetensors.F16ToF32(safetensors.F32ToF16(v))
						case safetensors.BF16:
							want[i] = safetensors.BF16ToF32(safetensors.F32ToBF16(v))
						}
					}
					require.Equal(t, want, got, name)
				}
				require.NoError(t, arc.Close())
			}

			out, err := exec.Command(edgeBinary(), "caption", "--model", dst, "--max-new-tokens", "3",
				"../testdata/demo/images/scene00.png").CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.NotEmpty(t, strings.TrimSpace(string(out)))
		})
	}
}
