package tflite_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/edgevlm/edge/runtime/tflite"
)

func tinyModel(t testing.TB, int8 bool) []byte {
	t.Helper()
	data, err := Export(context.Background(), filepath.Join(testdata, "tiny-opt/model"), Options{Int8: int8})
	require.NoError(t, err)
	return data
}

// TestVerifyRefusesTruncation cuts the file at many lengths: every cut into data that
// the model uses must be refused. (The builder's last 4 bytes are alignment padding that
// nothing points at; without them the model is still whole.)
func TestVerifyRefusesTruncation(t *testing.T) {
	const padding = 4
	for _, int8 := range []bool{false, true} {
		data := tinyModel(t, int8)
		_, err := Verify(data[:len(data)-padding])
		require.NoError(t, err)
		step := len(data)/997 + 1
		for n := 0; n < len(data)-padding; n += step {
			_, err := Verify(data[:n])
			require.ErrorIs(t, err, ErrInvalid, "cut at %d of %d", n, len(data))
		}
		for _, n := range []int{len(data) - padding - 1, len(data) - 64, 7, 8} {
			_, err := Verify(data[:n])
			require.ErrorIs(t, err, ErrInvalid, "cut at %d of %d", n, len(data))
		}
	}
}

func TestVerifyRefusesCorruption(t *testing.T) {
	data := tinyModel(t, false)
	root := binary.LittleEndian.Uint32(data)
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), data...)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"identifier", "file identifier", mutate(func(b []byte) { copy(b[4:], "TFL2") })},
		{"root offset", "past the end", mutate(func(b []byte) { binary.LittleEndian.PutUint32(b, 0x7ffffff0) })},
		{"vtable offset", "vtable", mutate(func(b []byte) { binary.LittleEndian.PutUint32(b[root:], 0x80000000) })},
		{"garbage", `file identifier " is "`, []byte("this is not a flatbuffer at all, just some text")}, // bytes 4-8 are " is "
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.data)
			require.ErrorIs(t, err, ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// FuzzVerify: no input makes Verify panic.
func FuzzVerify(f *testing.F) {
	data := tinyModel(f, true)
	f.Add(data[:2048])
	f.Add(data)
	f.Add([]byte("TFL3TFL3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Verify(b)
	})
}
