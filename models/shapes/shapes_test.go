package shapes

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDirExtractsTheEmbeddedModelOnce(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := Dir()
	require.NoError(t, err)
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join(Name, f))
		require.NoError(t, err)
		require.Equal(t, want, got, f)
	}
	again, err := Dir()
	require.NoError(t, err)
	require.Equal(t, dir, again)
}
