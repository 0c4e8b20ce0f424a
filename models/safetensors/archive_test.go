package safetensors

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	shapesModel = "../shapes/blip2-shapes-opt"
	tinyOPT     = "../../testdata/tiny-opt"
)

func TestWriteFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	f32 := []float32{1, -2.5, float32(math.Inf(1)), 0x1p-149, 3}
	i8 := []int8{-128, -1, 0, 1, 127}
	// Hand-encoded F16 (1, -2, smallest subnormal) and I64 (-1, 1<<40).
	f16 := []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}
	i64 := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}
	tensors := []Tensor{
		{Name: "b.weight", DType: I8, Shape: []int{5}, Data: I8Bytes(i8)},
		{Name: "a.weight", DType: F32, Shape: []int{5, 1}, Data: F32Bytes(f32)},
		{Name: "c.half", DType: F16, Shape: []int{3}, Data: f16},
		{Name: "d.ids", DType: I64, Shape: []int{2}, Data: i64},
		{Name: "e.empty", DType: F32, Shape: []int{0, 4}, Data: nil},
		{Name: "f.scalar", DType: F32, Shape: []int{}, Data: F32Bytes([]float32{7})},
	}
	meta := map[string]string{"format": "pt", "quote": `a "b" <c>`}
	require.NoError(t, WriteFile(path, tensors, meta))

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	n := int(raw[0]) | int(raw[1])<<8 | int(raw[2])<<16
	require.Zero(t, (8+n)%8, "data section must start 8-byte aligned")

	a, err := Open(path)
	require.NoError(t, err)
	defer a.Close()
	require.Equal(t, []string{"a.weight", "b.weight", "c.half", "d.ids", "e.empty", "f.scalar"}, a.Names())
	require.Equal(t, meta, a.Metadata())

	got, err := a.Float32("a.weight")
	require.NoError(t, err)
	require.Equal(t, f32, got)
	gotI8, err := a.Int8("b.weight")
	require.NoError(t, err)
	require.Equal(t, i8, gotI8)
	half, err := a.Float32("c.half")
	require.NoError(t, err)
	require.Equal(t, []float32{1, -2, 0x1p-24}, half)
	ids, err := a.Int64("d.ids")
	require.NoError(t, err)
	require.Equal(t, []int64{-1, 1 << 40}, ids)
	empty, err := a.Float32("e.empty")
	require.NoError(t, err)
	require.Empty(t, empty)
	scalar, err := a.Float32("f.scalar")
	require.NoError(t, err)
	require.Equal(t, []float32{7}, scalar)

	info, ok := a.Info("a.weight")
	require.True(t, ok)
	require.Equal(t, Info{Name: "a.weight", DType: F32, Shape: []int{5, 1}, File: "rt.safetensors"}, info)
	require.Equal(t, 5, info.NumElements())

	// Each tensor starts at a multiple of its element size within the file.
	for _, name := range a.Names() {
		tt := a.tensors[name]
		require.Zero(t, tt.begin%tt.dtype.Size(), name)
	}
	// No temp file left behind.
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*tmp*"))
	require.NoError(t, err)
	require.Empty(t, left)
}

func TestWriteFileRejects(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"short data", []Tensor{{Name: "x", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}, "tensor x: shape [2] of F32 needs 8 bytes, data has 4"},
		{"unknown dtype", []Tensor{{Name: "x", DType: "F8", Shape: []int{1}, Data: make([]byte, 1)}}, `tensor x: dtype "F8" not supported`},
		{"duplicate", []Tensor{{Name: "x", DType: I8, Shape: []int{1}, Data: []byte{1}}, {Name: "x", DType: I8, Shape: []int{1}, Data: []byte{1}}}, "tensor x: given twice"},
		{"reserved", []Tensor{{Name: "__metadata__", DType: I8, Shape: []int{1}, Data: []byte{1}}}, "reserved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.safetensors")
			err := WriteFile(path, c.tensors, nil)
			require.ErrorContains(t, err, "write bad.safetensors: ")
			require.ErrorContains(t, err, c.want)
			require.NoFileExists(t, path)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "a failed write leaves nothing behind")
}

func TestShapesModel(t *testing.T) {
	a, err := Open(shapesModel)
	require.NoError(t, err)
	defer a.Close()

	var idx struct {
		Metadata struct {
			TotalParameters int `json:"total_parameters"`
		} `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	raw, err := os.ReadFile(filepath.Join(shapesModel, indexName))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &idx))
	require.Len(t, a.Names(), len(idx.WeightMap))

	params := 0
	for _, name := range a.Names() {
		info, ok := a.Info(name)
		require.True(t, ok)
		require.Equal(t, F16, info.DType, name)
		require.Equal(t, idx.WeightMap[name], info.File, name)
		vals, err := a.Float32(name)
		require.NoError(t, err, name)
		require.Len(t, vals, info.NumElements(), name)
		require.Zero(t, countNonFinite(vals), name)
		params += len(vals)
	}
	require.Equal(t, idx.Metadata.TotalParameters, params)
	require.Equal(t, map[string]string{"format": "pt"}, a.Metadata())

	// Reference values decoded independently by Python's struct module ('<e').
	w, err := a.Float32("language_model.model.decoder.layers.0.fc1.weight")
	require.NoError(t, err)
	require.Equal(t, []float32{0x1.e2cp-6, -0x1.e54p-7, -0x1.5a8p-7, -0x1.2d4p-6}, w[:4])
	sum := 0.0
	for _, v := range w {
		sum += float64(v)
	}
	require.InDelta(t, 4.6369534730911255, sum, 1e-9)

	// The index file itself opens the same archive.
	b, err := Open(filepath.Join(shapesModel, indexName))
	require.NoError(t, err)
	defer b.Close()
	require.Equal(t, a.Names(), b.Names())
}

func TestGoldens(t *testing.T) {
	a, err := Open(filepath.Join(tinyOPT, "goldens.safetensors"))
	require.NoError(t, err)
	defer a.Close()

	var manifest struct {
		Cases []struct {
			Name              string  `json:"name"`
			GreedyIDs         []int64 `json:"greedy_ids"`
			PromptLogitsShape []int   `json:"prompt_logits_shape"`
		} `json:"cases"`
	}
	raw, err := os.ReadFile(filepath.Join(tinyOPT, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &manifest))
	require.NotEmpty(t, manifest.Cases)
	for _, c := range manifest.Cases {
		ids, err := a.Int64(c.Name + ".greedy_ids")
		require.NoError(t, err, c.Name)
		require.Equal(t, c.GreedyIDs, ids, c.Name)

		info, ok := a.Info(c.Name + ".prompt_logits")
		require.True(t, ok, c.Name)
		require.Equal(t, F32, info.DType)
		require.Equal(t, c.PromptLogitsShape, info.Shape)
		logits, err := a.Float32(c.Name + ".prompt_logits")
		require.NoError(t, err)
		require.Len(t, logits, info.NumElements())
		require.Zero(t, countNonFinite(logits), c.Name)
		zeros := 0
		for _, v := range logits {
			if v == 0 {
				zeros++
			}
		}
		require.Less(t, zeros, len(logits)/2, c.Name)
	}

	_, err = a.Int8(manifest.Cases[0].Name + ".greedy_ids")
	require.ErrorContains(t, err, "dtype I64, want one of [I8]")
}

func TestSingleModelFolder(t *testing.T) {
	a, err := Open(filepath.Join(tinyOPT, "model"))
	require.NoError(t, err)
	defer a.Close()
	require.NotEmpty(t, a.Names())
	info, _ := a.Info(a.Names()[0])
	require.Equal(t, singleName, info.File)
}

func TestClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{{Name: "x", DType: F32, Shape: []int{1}, Data: F32Bytes([]float32{1})}}, nil))
	a, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())
	_, err = a.Bytes("x")
	require.ErrorContains(t, err, "tensor x: archive is closed")
}

func countNonFinite(x []float32) int {
	n := 0
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			n++
		}
	}
	return n
}
