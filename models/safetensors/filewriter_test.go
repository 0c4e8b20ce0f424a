package safetensors

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// A file written tensor by tensor, in pieces, out of order and from several goroutines
// is byte for byte the file WriteFile makes of the same tensors.
func TestFileWriterPiecesEqualWriteFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tensors []Tensor
	for i, shape := range [][]int{{300, 7}, {5}, {0, 3}, {1000}, {2, 2, 2}} {
		dt := []DType{F32, I8, F16, BF16, I64}[i]
		n, _ := dataSize(Tensor{DType: dt, Shape: shape})
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		tensors = append(tensors, Tensor{Name: string(rune('e' - i)), DType: dt, Shape: shape, Data: data})
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.safetensors")
	require.NoError(t, WriteFile(whole, tensors, map[string]string{"format": "pt"}))

	pieces := filepath.Join(dir, "pieces.safetensors")
	w, err := Create(pieces, tensors, map[string]string{"format": "pt"})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := len(tensors) - 1; i >= 0; i-- {
		tt := tensors[i]
		for lo := 0; lo < len(tt.Data) || lo == 0; lo += 97 {
			hi := min(lo+97, len(tt.Data))
			wg.Go(func() { require.NoError(t, w.WriteAt(tt.Name, tt.Data[lo:hi], int64(lo))) })
		}
	}
	wg.Wait()
	_, err = os.Stat(pieces)
	require.True(t, os.IsNotExist(err), "the file appears only at Close")
	require.NoError(t, w.Close())

	a, err := os.ReadFile(whole)
	require.NoError(t, err)
	b, err := os.ReadFile(pieces)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "pieces and whole differ")
}

// A tensor left short fails Close, which leaves nothing behind; a write past a tensor's
// end is refused.
func TestFileWriterIncomplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "short.safetensors")
	tensors := []Tensor{{Name: "a", DType: F32, Shape: []int{4}}, {Name: "b", DType: I8, Shape: []int{3}}}
	w, err := Create(path, tensors, nil)
	require.NoError(t, err)
	require.NoError(t, w.WriteAt("a", make([]byte, 16), 0))
	require.NoError(t, w.WriteAt("b", make([]byte, 2), 0))
	require.ErrorContains(t, w.WriteAt("b", make([]byte, 2), 2), "outside")
	require.ErrorContains(t, w.WriteAt("c", make([]byte, 1), 0), "tensor c")
	require.ErrorContains(t, w.Close(), "tensor b: 2 of its 3 bytes written")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "no temporary left")
}
