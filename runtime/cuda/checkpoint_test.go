package cuda_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

// writeRandomCheckpoint lays out a loadable checkpoint folder: the real configs and
// tokenizer, and one model.safetensors holding every tensor the config implies, in fp16,
// filled from a pool of N(0, 0.02) values (norm weights near 1) at varying offsets.
func writeRandomCheckpoint(t *testing.T, name string, srcs []string, cfg *hfconfig.Config) string {
	base := os.Getenv("EDGE_CUDA_BENCH_DIR")
	if base == "" {
		base = os.TempDir()
	}
	root, err := os.MkdirTemp(base, "edge-bench-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	dir := filepath.Join(root, name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, src := range srcs {
		entries, err := os.ReadDir(src)
		require.NoError(t, err)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "model.safetensors") {
				continue // the weights are ours; the index names shards we do not write
			}
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
		}
	}

	specs := blip2.ExpectedTensors(cfg)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt", "note": "random weights for timing"}}
	var off int64
	for _, s := range specs {
		n := int64(2)
		for _, d := range s.Shape {
			n *= int64(d)
		}
		header[s.Name] = map[string]any{"dtype": "F16", "shape": s.Shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	hj, err := json.Marshal(header)
	require.NoError(t, err)
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 8<<20)
	require.NoError(t, binary.Write(w, binary.LittleEndian, uint64(len(hj))))
	_, err = w.Write(hj)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(12, 12))
	pool := make([]byte, 2*(16<<20)) // 16 Mi fp16 values
	for i := 0; i < len(pool); i += 2 {
		binary.LittleEndian.PutUint16(pool[i:], safetensors.F32ToF16(float32(rng.NormFloat64()*0.02)))
	}
	ones := make([]byte, 2*8192)
	for i := 0; i < len(ones); i += 2 {
		binary.LittleEndian.PutUint16(ones[i:], safetensors.F32ToF16(1))
	}
	for _, s := range specs {
		n := 2
		for _, d := range s.Shape {
			n *= d
		}
		if isNormWeight(s.Name) && n <= len(ones) {
			_, err = w.Write(ones[:n])
			require.NoError(t, err)
			continue
		}
		start := 2 * rng.IntN(len(pool)/2)
		for n > 0 {
			c := min(n, len(pool)-start)
			_, err = w.Write(pool[start : start+c])
			require.NoError(t, err)
			n -= c
			start = 0
		}
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return dir
}

// isNormWeight: LayerNorm/RMSNorm scales get 1 (as initialised), so activations keep
// their scale through 32-39 layers instead of shrinking to denormals.
func isNormWeight(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".weight") && (strings.Contains(n, "norm") || strings.Contains(n, "layernorm"))
}

func TestF16MatchesSafetensors(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for i := 0; i < 100000; i++ {
		v := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8)))
		h := safetensors.F32ToF16(v)
		back := safetensors.F16ToF32(h)
		// Round to nearest: the error is at most half a step of the result's exponent.
		step := math.Max(math.Abs(float64(back)), 6.1e-5) * math.Pow(2, -10)
		if math.Abs(float64(v)) > 65504 {
			require.True(t, math.IsInf(float64(back), 0))
			continue
		}
		require.LessOrEqual(t, math.Abs(float64(back-v)), step/2*1.0001+6e-8, "%g -> %g", v, back)
	}
	require.Equal(t, uint16(0x3c00), safetensors.F32ToF16(1))
	require.Equal(t, uint16(0xc000), safetensors.F32ToF16(-2))
}
