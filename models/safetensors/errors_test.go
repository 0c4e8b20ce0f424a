package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawFile writes a safetensors file by hand: length, header text, data.
func rawFile(t *testing.T, dir, name, header string, data []byte) string {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(append(b, header...), data...)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func openErr(t *testing.T, path string) error {
	t.Helper()
	a, err := Open(path)
	if err == nil {
		a.Close()
	}
	require.Error(t, err)
	return err
}

func TestTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "short.safetensors")
	require.NoError(t, os.WriteFile(path, []byte{1, 0, 0}, 0o644))
	require.EqualError(t, openErr(t, path), "load short.safetensors: file is 3 bytes, shorter than the 8-byte header length")
}

func TestTruncatedData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cut.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{{Name: "w", DType: F32, Shape: []int{4}, Data: make([]byte, 16)}}, nil))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw[:len(raw)-5], 0o644))
	require.ErrorContains(t, openErr(t, path), "load cut.safetensors: tensor w: data_offsets [0 16] outside the 11-byte data section")
}

func TestHeaderLengthBeyondFile(t *testing.T) {
	dir := t.TempDir()
	b := binary.LittleEndian.AppendUint64(nil, 1000)
	path := filepath.Join(dir, "long.safetensors")
	require.NoError(t, os.WriteFile(path, append(b, "{}"...), 0o644))
	require.EqualError(t, openErr(t, path), "load long.safetensors: header length 1000 exceeds the 2 bytes after the length field")
}

func TestHeaderLengthOverLimit(t *testing.T) {
	dir := t.TempDir()
	b := binary.LittleEndian.AppendUint64(nil, 1<<40)
	path := filepath.Join(dir, "huge.safetensors")
	require.NoError(t, os.WriteFile(path, append(b, "{}"...), 0o644))
	require.ErrorContains(t, openErr(t, path), "load huge.safetensors: header length 1099511627776 exceeds the 104857600-byte limit")
}

func TestHeaderGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, hdr := range map[string]string{
		"notjson.safetensors":  "\x00\xffgarbage",
		"array.safetensors":    "[1,2]   ",
		"unclosed.safetensors": `{"w":{"dtype":"F32"`,
		"trailing.safetensors": `{} x`,
	} {
		err := openErr(t, rawFile(t, dir, name, hdr, nil))
		require.ErrorContains(t, err, "load "+name+": ")
		require.ErrorContains(t, err, "header")
	}
}

func TestOffsetsOutOfRange(t *testing.T) {
	path := rawFile(t, t.TempDir(), "oob.safetensors", `{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 8))
	require.EqualError(t, openErr(t, path), `load oob.safetensors: tensor w: data_offsets [4 12] outside the 8-byte data section`)
}

func TestOffsetsReversed(t *testing.T) {
	path := rawFile(t, t.TempDir(), "rev.safetensors", `{"w":{"dtype":"I8","shape":[0],"data_offsets":[4,0]}}`, make([]byte, 8))
	require.EqualError(t, openErr(t, path), `load rev.safetensors: tensor w: data_offsets [4 0]: begin after end`)
}

func TestOverlappingTensors(t *testing.T) {
	hdr := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	path := rawFile(t, t.TempDir(), "overlap.safetensors", hdr, make([]byte, 12))
	require.EqualError(t, openErr(t, path), `load overlap.safetensors: tensor b overlaps tensor a`)
}

func TestShapeBytesMismatch(t *testing.T) {
	path := rawFile(t, t.TempDir(), "shape.safetensors", `{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8))
	require.ErrorContains(t, openErr(t, path), `load shape.safetensors: tensor w: shape [3] of F16 needs 3×2 bytes, data_offsets [0 8] hold 8`)
}

func TestUnknownDType(t *testing.T) {
	path := rawFile(t, t.TempDir(), "dtype.safetensors", `{"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}`, make([]byte, 8))
	require.EqualError(t, openErr(t, path), `load dtype.safetensors: tensor w: dtype F8_E4M3 not supported`)
}

func TestDuplicateTensor(t *testing.T) {
	hdr := `{"w":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"I8","shape":[1],"data_offsets":[1,2]}}`
	path := rawFile(t, t.TempDir(), "dup.safetensors", hdr, make([]byte, 2))
	require.EqualError(t, openErr(t, path), `load dup.safetensors: tensor w: listed twice in the header`)
}

func TestMetadataNotStrings(t *testing.T) {
	path := rawFile(t, t.TempDir(), "meta.safetensors", `{"__metadata__":{"n":3}}`, nil)
	require.ErrorContains(t, openErr(t, path), "load meta.safetensors: header __metadata__: not a map of strings")
}

// writeIndex writes a two-shard checkpoint whose index may name more than
// the shards hold.
func writeIndex(t *testing.T, weightMap string) string {
	t.Helper()
	dir := t.TempDir()
	one := []Tensor{{Name: "a", DType: F32, Shape: []int{1}, Data: F32Bytes([]float32{1})}}
	two := []Tensor{{Name: "b", DType: F32, Shape: []int{1}, Data: F32Bytes([]float32{2})}}
	require.NoError(t, WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), one, map[string]string{"format": "pt"}))
	require.NoError(t, WriteFile(filepath.Join(dir, "model-00002-of-00002.safetensors"), two, nil))
	require.NoError(t, os.WriteFile(filepath.Join(dir, indexName), []byte(`{"metadata":{"total_size":8},"weight_map":`+weightMap+`}`), 0o644))
	return dir
}

func TestIndexOK(t *testing.T) {
	dir := writeIndex(t, `{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}`)
	// A stray single file beside the index: the index wins.
	require.NoError(t, WriteFile(filepath.Join(dir, singleName), []Tensor{{Name: "z", DType: I8, Shape: []int{1}, Data: []byte{1}}}, nil))
	a, err := Open(dir)
	require.NoError(t, err)
	defer a.Close()
	require.Equal(t, []string{"a", "b"}, a.Names())
	b, err := a.Float32("b")
	require.NoError(t, err)
	require.Equal(t, []float32{2}, b)
	info, _ := a.Info("b")
	require.Equal(t, "model-00002-of-00002.safetensors", info.File)
	require.Equal(t, map[string]string{"format": "pt"}, a.Metadata())
}

func TestIndexMissingShard(t *testing.T) {
	dir := writeIndex(t, `{"a":"model-00001-of-00002.safetensors","c":"model-00003-of-00003.safetensors"}`)
	err := openErr(t, dir)
	require.ErrorContains(t, err, "load model.safetensors.index.json: load model-00003-of-00003.safetensors: open ")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestIndexTensorAbsentFromShard(t *testing.T) {
	dir := writeIndex(t, `{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors"}`)
	require.EqualError(t, openErr(t, dir), "load model-00001-of-00002.safetensors: tensor b: listed in model.safetensors.index.json but absent from it")
}

func TestIndexShardEscapes(t *testing.T) {
	dir := writeIndex(t, `{"a":"../model-00001-of-00002.safetensors"}`)
	require.ErrorContains(t, openErr(t, dir), `shard name "../model-00001-of-00002.safetensors" is not a file name`)
}

func TestIndexShardBadHeader(t *testing.T) {
	dir := writeIndex(t, `{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}`)
	rawFile(t, dir, "model-00002-of-00002.safetensors", `{"b":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, []byte{0})
	require.EqualError(t, openErr(t, dir), `load model.safetensors.index.json: load model-00002-of-00002.safetensors: tensor b: dtype Q4 not supported`)
}

func TestMissingTensorName(t *testing.T) {
	dir := writeIndex(t, `{"a":"model-00001-of-00002.safetensors"}`)
	a, err := Open(dir)
	require.NoError(t, err)
	defer a.Close()
	_, ok := a.Info("b") // in a shard, but not in the index
	require.False(t, ok)
	_, err = a.Float32("nope")
	require.EqualError(t, err, "tensor nope: not in the checkpoint")
	_, err = a.Bytes("nope")
	require.EqualError(t, err, "tensor nope: not in the checkpoint")
}

func TestOpenMissing(t *testing.T) {
	require.ErrorIs(t, openErr(t, filepath.Join(t.TempDir(), "none.safetensors")), os.ErrNotExist)
	require.ErrorContains(t, openErr(t, t.TempDir()), "folder has neither model.safetensors.index.json nor model.safetensors")
}
