package blip2

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// rewriteTensor rewrites one tensor of a safetensors file with a new shape (random-ish
// values), keeping the others.
func rewriteTensor(t *testing.T, path, name string, shape []int) {
	t.Helper()
	a, err := safetensors.Open(path)
	require.NoError(t, err)
	var ts []safetensors.Tensor
	for _, n := range a.Names() {
		info, _ := a.Info(n)
		data, err := a.Bytes(n)
		require.NoError(t, err)
		tensor := safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: append([]byte(nil), data...)}
		if n == name {
			size := info.DType.Size()
			for _, d := range shape {
				size *= d
			}
			tensor.Shape, tensor.Data = shape, make([]byte, size)
		}
		ts = append(ts, tensor)
	}
	require.NoError(t, a.Close())
	require.NoError(t, safetensors.WriteFile(path, ts, nil))
}

func TestBadCheckpointsAreRefusedByName(t *testing.T) {
	be := cpu.New(1)
	src := filepath.Join(testdata, "tiny-opt/model")
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string
	}{
		{"missing tensor", func(t *testing.T, dir string) {
			rewriteWithout(t, filepath.Join(dir, "model.safetensors"), "qformer.encoder.layer.1.output_query.dense.weight")
		}, []string{"qformer.encoder.layer.1.output_query.dense.weight", "missing"}},
		{"projection wider than the language model's embeddings", func(t *testing.T, dir string) {
			rewriteTensor(t, filepath.Join(dir, "model.safetensors"), "language_projection.weight", []int{80, 32})
		}, []string{"language_projection.weight", "[80 32]", "[64 32]"}},
		{"projection narrower than the language model's embeddings", func(t *testing.T, dir string) {
			rewriteTensor(t, filepath.Join(dir, "model.safetensors"), "language_projection.weight", []int{48, 32})
		}, []string{"language_projection.weight", "[48 32]"}},
		{"shape contradicting the config", func(t *testing.T, dir string) {
			rewriteTensor(t, filepath.Join(dir, "model.safetensors"), "vision_model.encoder.layers.0.mlp.fc1.weight", []int{65, 32})
		}, []string{"vision_model.encoder.layers.0.mlp.fc1.weight", "[64 32]"}},
		{"truncated weights", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			st, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, st.Size()-1000))
		}, []string{"model.safetensors"}},
		{"header lying about its length", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}, 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, []string{"model.safetensors"}},
		{"missing config", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "config.json")))
		}, []string{"config.json"}},
		{"malformed config", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"text_config": {"model_type": "opt",`), 0o644))
		}, []string{"config.json"}},
		{"missing weights", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "model.safetensors")))
		}, []string{"safetensors"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			tc.damage(t, dir)
			_, err := Load(dir, Options{Backend: be})
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestPromptLongerThanTheContext(t *testing.T) {
	m, err := Load(filepath.Join(testdata, "tiny-opt/model"), Options{Backend: cpu.New(1)})
	require.NoError(t, err)
	defer m.Close()
	pixels := make([]float32, 3*224*224)
	_, err = m.GenerateFromPixels(context.Background(), pixels, strings.Repeat("a picture of ", 60), runtime.GenerateOptions{MaxNewTokens: 5})
	require.Error(t, err)
	require.True(t, errors.Is(err, runtime.ErrContext), err.Error())
	require.Contains(t, err.Error(), "context is 128")
	ok, err := m.Fits("a picture of", 5)
	require.NoError(t, err)
	require.True(t, ok)
}
