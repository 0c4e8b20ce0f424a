package blip2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
)

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	require.NoError(t, os.MkdirAll(to, 0o755))
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), data, 0o644))
	}
	return to
}

// rewriteWithout rewrites a safetensors file without one tensor.
func rewriteWithout(t *testing.T, path, drop string) {
	t.Helper()
	a, err := safetensors.Open(path)
	require.NoError(t, err)
	var ts []safetensors.Tensor
	for _, n := range a.Names() {
		if n == drop {
			continue
		}
		info, _ := a.Info(n)
		data, err := a.Bytes(n)
		require.NoError(t, err)
		ts = append(ts, safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: append([]byte(nil), data...)})
	}
	require.NoError(t, a.Close())
	require.NoError(t, safetensors.WriteFile(path, ts, nil))
}
