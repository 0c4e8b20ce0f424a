package safetensors

import (
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Rows read a few at a time equal the same rows of the whole tensor, in every float
// dtype; Release drops pages but later reads still see the file's values.
func TestFloat32RowsAndRelease(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, cols = 700, 33 // over a page per dtype, and rows that straddle pages
	vals := make([]float32, rows*cols)
	for i := range vals {
		vals[i] = rng.Float32()*4 - 2
	}
	half := func(bf bool) []byte {
		out := make([]byte, 2*len(vals))
		for i, v := range vals {
			b := F32Bytes([]float32{v})
			h := binary.LittleEndian.Uint16(b[2:]) // bfloat16: the top half
			if !bf {
				h = 0x3c00 + uint16(i%512) // some F16 values
			}
			binary.LittleEndian.PutUint16(out[2*i:], h)
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "rows.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{
		{Name: "f32", DType: F32, Shape: []int{rows, cols}, Data: F32Bytes(vals)},
		{Name: "f16", DType: F16, Shape: []int{rows, cols}, Data: half(false)},
		{Name: "bf16", DType: BF16, Shape: []int{rows, cols}, Data: half(true)},
		{Name: "i8", DType: I8, Shape: []int{2}, Data: []byte{1, 2}},
	}, nil))
	a, err := Open(path)
	require.NoError(t, err)
	defer a.Close()
	for _, name := range []string{"f32", "f16", "bf16"} {
		whole, err := a.Float32(name)
		require.NoError(t, err)
		for _, span := range [][2]int{{0, 1}, {0, rows}, {5, 37}, {rows - 1, rows}, {300, 300}} {
			dst := make([]float32, (span[1]-span[0])*cols)
			require.NoError(t, a.Float32Rows(name, cols, span[0], span[1], dst))
			require.Equal(t, whole[span[0]*cols:span[1]*cols], dst, "%s rows %v", name, span)
		}
		a.Release(name)
		again, err := a.Float32(name)
		require.NoError(t, err)
		require.Equal(t, whole, again, "%s read again after Release", name)
	}
	require.Error(t, a.Float32Rows("f32", cols, 0, rows+1, make([]float32, (rows+1)*cols)), "past the end")
	require.Error(t, a.Float32Rows("f32", cols, 3, 2, nil), "backwards")
	require.Error(t, a.Float32Rows("f32", cols, 0, 2, make([]float32, cols)), "short destination")
	require.Error(t, a.Float32Rows("i8", 1, 0, 1, make([]float32, 1)), "not a float tensor")
	require.Error(t, a.Float32Rows("nope", 1, 0, 1, make([]float32, 1)))
	a.Release("nope") // unknown names are ignored
}
