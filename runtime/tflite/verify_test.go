package tflite

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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
