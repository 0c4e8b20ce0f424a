package weights

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/quant"
)

// Quantizing on load from an archive (rows converted a block at a time on every core,
// straight into the final buffers) gives exactly what quantizing the whole float tensor
// gives, for row counts that are and are not multiples of the block.
func TestQuantizeOnLoadFromRowsEqualsWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	var tensors []safetensors.Tensor
	want := map[string][]float32{}
	for _, rows := range []int{1, 31, 32, 33, 257} {
		name := "l" + string(rune('a'+len(want))) + ".weight"
		w := make([]float32, rows*48)
		for i := range w {
			w[i] = rng.Float32()*2 - 1
		}
		if rows > 1 {
			clear(w[48:96]) // an all-zero row
		}
		want[name] = w
		tensors = append(tensors, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: []int{rows, 48}, Data: safetensors.F32Bytes(w)})
	}
	path := filepath.Join(dir, "model.safetensors")
	require.NoError(t, safetensors.WriteFile(path, tensors, nil))
	a, err := safetensors.Open(path)
	require.NoError(t, err)
	defer a.Close()
	b := NewBinder(FromArchive(a))
	b.SetQuantization(Quantization{OnLoad: func(string, []int) bool { return true }, QuantizeRow: quant.QuantizeRow})
	for _, tt := range tensors {
		rows := tt.Shape[0]
		got := b.Embedding(tt.Name, rows, 48)
		require.NoError(t, b.Err())
		q, scales := quant.QuantizeRows(want[tt.Name], rows, 48)
		require.Equal(t, q, got.I8, tt.Name)
		require.Equal(t, scales, got.Scales, tt.Name)
		require.Nil(t, got.F32)
	}
}
