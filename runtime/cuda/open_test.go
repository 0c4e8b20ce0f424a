package cuda

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// These run everywhere: they need neither the library nor a GPU.

func TestOpenSaysWhatIsMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), LibName))
	require.ErrorIs(t, err, ErrNoLibrary)
	require.ErrorContains(t, err, "build it with make cuda")

	// A file that is not a shared library is refused with the loader's reason.
	bogus := filepath.Join(t.TempDir(), LibName)
	require.NoError(t, os.WriteFile(bogus, []byte("not an ELF file"), 0o644))
	_, err = Open(bogus)
	require.ErrorIs(t, err, ErrNoLibrary)
	require.ErrorContains(t, err, bogus)

	_, err = New(Config{LibPath: bogus, Precision: Precision(9)})
	require.ErrorContains(t, err, "unknown precision")
}

// TestOpenWithoutGPU runs where the library was built but there is no GPU (a build
// machine with nvcc): it must refuse with ErrNoDevice, not crash.
func TestOpenWithoutGPU(t *testing.T) {
	if _, err := os.Stat(testLib()); err != nil {
		t.Skipf("no library at %s: build it with make cuda", testLib())
	}
	b, err := Open(testLib())
	if err == nil {
		require.NoError(t, b.Close())
		t.Skip("a GPU is present; the GPU tests cover this machine")
	}
	require.ErrorIs(t, err, ErrNoDevice)
	require.ErrorContains(t, err, "no CUDA device")
}

// TestAttnArgsLayout pins the Go mirror of edge_attn_args to the C layout: five
// pointers, then ten 4-byte fields, no padding.
func TestAttnArgsLayout(t *testing.T) {
	var a attnArgs
	require.Equal(t, uintptr(80), unsafe.Sizeof(a))
	require.Equal(t, uintptr(32), unsafe.Offsetof(a.bias))
	require.Equal(t, uintptr(40), unsafe.Offsetof(a.tq))
	require.Equal(t, uintptr(56), unsafe.Offsetof(a.scale))
	require.Equal(t, uintptr(68), unsafe.Offsetof(a.allowT))
	require.Equal(t, uintptr(76), unsafe.Offsetof(a.ldKV))
}

func TestParsePrecision(t *testing.T) {
	for _, p := range []Precision{FP32, TF32, FP16} {
		got, err := ParsePrecision(p.String())
		require.NoError(t, err)
		require.Equal(t, p, got)
	}
	_, err := ParsePrecision("bf16")
	require.Error(t, err)
}
