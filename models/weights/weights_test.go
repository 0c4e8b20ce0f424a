package weights

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"unsafe"

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

// Float32, fp16 and int8 matrices bound from a mapped archive are its bytes, used in
// place; a progress function sees every tensor bound.
func TestMatricesFromTheMappingInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	f32 := []float32{1, 2, 3, 4, 5, 6}
	require.NoError(t, safetensors.WriteFile(path, []safetensors.Tensor{
		{Name: "a.weight", DType: safetensors.F32, Shape: []int{2, 3}, Data: safetensors.F32Bytes(f32)},
		{Name: "b.weight", DType: safetensors.I8, Shape: []int{2, 3}, Data: []byte{1, 2, 3, 0xff, 0xfe, 0xfd}},
		{Name: "b.weight_scale", DType: safetensors.F32, Shape: []int{2}, Data: safetensors.F32Bytes([]float32{0.5, 0.25})},
		{Name: "c.weight", DType: safetensors.F16, Shape: []int{1, 2}, Data: []byte{0x00, 0x3c, 0x00, 0xc0}},
	}, nil))
	a, err := safetensors.Open(path)
	require.NoError(t, err)
	defer a.Close()
	b := NewBinder(FromArchive(a))
	var bound []string
	b.SetProgress(func(name string) { bound = append(bound, name) })
	at := func(name string) *byte {
		raw, err := a.Bytes(name)
		require.NoError(t, err)
		return &raw[0]
	}

	fw := b.Embedding("a.weight", 2, 3)
	iw := b.Embedding("b.weight", 2, 3)
	hw := b.Embedding("c.weight", 1, 2)
	require.NoError(t, b.Err())
	require.Equal(t, f32, fw.F32)
	require.Same(t, at("a.weight"), (*byte)(unsafe.Pointer(&fw.F32[0])), "float32 read in place")
	require.Equal(t, []int8{1, 2, 3, -1, -2, -3}, iw.I8)
	require.Same(t, at("b.weight"), (*byte)(unsafe.Pointer(&iw.I8[0])), "int8 read in place")
	require.Equal(t, []uint16{0x3c00, 0xc000}, hw.Half)
	require.False(t, hw.BF16)
	require.Nil(t, hw.F32)
	require.Same(t, at("c.weight"), (*byte)(unsafe.Pointer(&hw.Half[0])), "fp16 read in place")
	require.Equal(t, []string{"a.weight", "b.weight_scale", "b.weight", "c.weight"}, bound)
	require.Equal(t, int64(4*6+6+4*2+2*2), b.Bytes())

	// --dtype fp32 widens the fp16 matrix into a copy; fp16 and bf16 narrow the fp32 one
	// (and bf16 converts the fp16 one) into new buffers; vectors stay fp32.
	b = NewBinder(FromArchive(a))
	b.SetDType(FP32)
	hw = b.Embedding("c.weight", 1, 2)
	require.NoError(t, b.Err())
	require.Equal(t, []float32{1, -2}, hw.F32)
	require.Nil(t, hw.Half)
	for _, d := range []DType{FP16, BF16} {
		b = NewBinder(FromArchive(a))
		b.SetDType(d)
		fw, hw = b.Embedding("a.weight", 2, 3), b.Embedding("c.weight", 1, 2)
		scale := b.Tensor("b.weight_scale", 2)
		require.NoError(t, b.Err())
		require.Equal(t, d == BF16, fw.BF16, d)
		require.Equal(t, d == BF16, hw.BF16, d)
		require.Nil(t, fw.F32, d)
		row := make([]float32, 3)
		fw.RowTo(1, row)
		require.Equal(t, []float32{4, 5, 6}, row, d)
		hw.RowTo(0, row[:2])
		require.Equal(t, []float32{1, -2}, row[:2], d)
		require.Equal(t, []float32{0.5, 0.25}, scale, d)
		require.Equal(t, int64(2*6+2*2+4*2), b.Bytes(), d)
	}
}

func TestParseDType(t *testing.T) {
	for in, want := range map[string]DType{"": Auto, "auto": Auto, "FP16": FP16, "bf16": BF16, "fp32": FP32} {
		got, err := ParseDType(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ParseDType("float16")
	require.EqualError(t, err, `dtype "float16": use auto, fp32, fp16 or bf16`)
}
