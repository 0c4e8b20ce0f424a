// Package runtime holds how models run: the tensor type, the backend interface that
// model code is written against, generation (greedy, beam, sampling) and chat sessions.
package runtime

import "fmt"

// Tensor is a dense row-major float32 tensor. Model code treats the last dimension as
// features and everything before it as rows.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor allocates a zeroed tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, numel(shape))}
}

// FromData wraps data (not copied) as a tensor of the given shape.
func FromData(data []float32, shape ...int) *Tensor {
	if len(data) != numel(shape) {
		panic(fmt.Sprintf("runtime: %d values do not fill shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Cols is the size of the last dimension.
func (t *Tensor) Cols() int { return t.Shape[len(t.Shape)-1] }

// Rows is the product of every dimension but the last.
func (t *Tensor) Rows() int { return len(t.Data) / t.Cols() }

// Row returns row i as a slice sharing the tensor's storage.
func (t *Tensor) Row(i int) []float32 {
	c := t.Cols()
	return t.Data[i*c : (i+1)*c]
}

// RowSlice returns rows [lo, hi) as a 2-D tensor sharing storage.
func (t *Tensor) RowSlice(lo, hi int) *Tensor {
	c := t.Cols()
	return &Tensor{Shape: []int{hi - lo, c}, Data: t.Data[lo*c : hi*c]}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Reshape returns a view with a new shape of the same size.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if numel(shape) != len(t.Data) {
		panic(fmt.Sprintf("runtime: cannot reshape %v to %v", t.Shape, shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: t.Data}
}

// ConcatRows stacks 2-D tensors with the same column count.
func ConcatRows(ts ...*Tensor) *Tensor {
	rows, cols := 0, ts[0].Cols()
	for _, t := range ts {
		if t.Cols() != cols {
			panic(fmt.Sprintf("runtime: concat of %d and %d columns", cols, t.Cols()))
		}
		rows += t.Rows()
	}
	out := NewTensor(rows, cols)
	off := 0
	for _, t := range ts {
		off += copy(out.Data[off:], t.Data)
	}
	return out
}
