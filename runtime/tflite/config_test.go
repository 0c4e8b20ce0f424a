package tflite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLibraryPath(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)
	require.Equal(t, "libtensorflowlite_c.so", Config{}.libraryPath(), "nothing installed: the loader's search path")

	lib := filepath.Join(root, NpmLibrary())
	require.NoError(t, os.MkdirAll(filepath.Dir(lib), 0o755))
	require.NoError(t, os.WriteFile(lib, nil, 0o644))
	require.Equal(t, lib, Config{}.libraryPath(), "found from a subfolder of the repository")

	t.Setenv(LibraryEnv, "/opt/tflite/libtensorflowlite_c.so")
	require.Equal(t, "/opt/tflite/libtensorflowlite_c.so", Config{}.libraryPath())
	require.Equal(t, "/x.so", Config{LibraryPath: "/x.so"}.libraryPath())
}
