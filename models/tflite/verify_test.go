package tflite

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
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
		{"garbage", "", []byte("this is not a flatbuffer at all, just some text")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.data)
			require.ErrorIs(t, err, ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestVerifyChecksSemantics rewrites values a flatbuffer check alone would accept.
func TestVerifyChecksSemantics(t *testing.T) {
	g := newGraph()
	x := g.activation("x", 2, 3)
	w := g.constF32("w", []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	y := g.activation("y", 2, 2)
	g.op(opFullyConnect, 1, []int32{x, w, -1}, []int32{y}, optFullyConnect, fullyConnectedOptions)
	g.inputs, g.outputs = []int32{x}, []int32{y}
	good, err := g.serialize("test", "x", "y")
	require.NoError(t, err)
	info, err := Verify(good)
	require.NoError(t, err)
	require.Equal(t, 1, info.OpCounts[opFullyConnect])
	require.Equal(t, int64(24), info.ConstantBytes[typeFloat32])

	for name, broken := range map[string]func(g *graph){
		"buffer size":        func(g *graph) { g.tensors[w].shape = []int32{3, 3} },
		"tensor index":       func(g *graph) { g.ops[0].inputs[0] = 7 },
		"missing output":     func(g *graph) { g.ops[0].outputs[0] = -1 },
		"negative dimension": func(g *graph) { g.tensors[x].shape = []int32{-2, 3} },
		"buffer index":       func(g *graph) { g.tensors[x].buffer = 9 },
		"subgraph output":    func(g *graph) { g.outputs = []int32{5} },
		"scales":             func(g *graph) { g.tensors[w].scales = []float32{1, 2, 3} },
	} {
		t.Run(name, func(t *testing.T) {
			b := newGraph()
			b.tensors = append([]tensor(nil), g.tensors...)
			for i := range b.tensors {
				b.tensors[i].shape = append([]int32(nil), g.tensors[i].shape...)
			}
			b.buffers, b.codes = g.buffers, g.codes
			b.ops = []operator{g.ops[0]}
			b.ops[0].inputs = append([]int32(nil), g.ops[0].inputs...)
			b.ops[0].outputs = append([]int32(nil), g.ops[0].outputs...)
			b.inputs, b.outputs = g.inputs, g.outputs
			broken(b)
			data, err := b.serialize("test", "x", "y")
			require.NoError(t, err)
			_, err = Verify(data)
			require.ErrorIs(t, err, ErrInvalid)
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
