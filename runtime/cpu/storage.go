package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
	"github.com/edgevlm/edge/runtime/kernels"
)

// The CPU backend's tensors live in host memory, so moving values in and out is a copy
// and a view is a sub-slice; these are still the only way model code reaches them.

// NewTensor returns a tensor of shape with undefined values (recycled memory when the
// backend has some of that size).
func (b *Backend) NewTensor(shape ...int) *runtime.Tensor { return b.tensor(shape...) }

// FromHost returns a tensor holding a copy of values.
func (b *Backend) FromHost(values []float32, shape ...int) *runtime.Tensor {
	t := b.tensor(shape...)
	d := data(t)
	if len(values) != len(d) {
		panic(fmt.Sprintf("cpu: %d values for shape %v", len(values), tensorcore.ShapeCopy(shape)))
	}
	copy(d, values)
	return t
}

// Upload overwrites dst with values.
func (b *Backend) Upload(dst *runtime.Tensor, values []float32) {
	d := data(dst)
	if len(values) != len(d) {
		panic(fmt.Sprintf("cpu: %d values for %v", len(values), dst))
	}
	copy(d, values)
}

// Host copies t's values into dst, grown when short.
func (b *Backend) Host(t *runtime.Tensor, dst []float32) []float32 {
	d := data(t)
	if cap(dst) < len(d) {
		dst = make([]float32, len(d))
	}
	dst = dst[:len(d)]
	copy(dst, d)
	return dst
}

// CopyRows copies src's rows into dst from row at.
func (b *Backend) CopyRows(dst *runtime.Tensor, at int, src *runtime.Tensor) {
	c := dst.Cols()
	if src.Cols() != c || at < 0 || at+src.Rows() > dst.Rows() {
		panic(fmt.Sprintf("cpu: copy of %v into rows %d.. of %v", src, at, dst))
	}
	copy(data(dst)[at*c:], data(src))
}

// Embed gathers weight rows (dequantised when int8).
func (b *Backend) Embed(w *runtime.Weight, ids []int, dst *runtime.Tensor) {
	if dst.Rows() != len(ids) || dst.Cols() != w.In {
		panic(fmt.Sprintf("cpu: embedding of %d ids into %v from a [%d,%d] table", len(ids), dst, w.Out, w.In))
	}
	d := data(dst)
	for i, id := range ids {
		if id < 0 || id >= w.Out {
			panic(fmt.Sprintf("cpu: token id %d outside a table of %d rows", id, w.Out))
		}
		w.RowTo(id, d[i*w.In:(i+1)*w.In])
	}
}

// AddRows adds table rows first.. to x's rows.
func (b *Backend) AddRows(x *runtime.Tensor, table []float32, first int) {
	c, n := x.Cols(), x.Rows()
	if first < 0 || (first+n)*c > len(table) {
		panic(fmt.Sprintf("cpu: rows %d..%d of a table of %d rows added to %v", first, first+n, len(table)/max(c, 1), x))
	}
	kernels.Axpy(1, table[first*c:(first+n)*c], data(x))
}

// Scale multiplies x by s in place.
func (b *Backend) Scale(x *runtime.Tensor, s float32) { kernels.Scale(s, data(x)) }

// Argmax is the first index of the largest value of x's last row.
func (b *Backend) Argmax(x *runtime.Tensor) int {
	d := data(x)
	c := x.Cols()
	row := d[len(d)-c:]
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// Patches cuts CHW pixels into patch rows (see runtime.Patches).
func (b *Backend) Patches(pixels *runtime.Tensor, patch int) *runtime.Tensor {
	if len(pixels.Shape) != 3 || pixels.Shape[1] != pixels.Shape[2] || patch <= 0 || pixels.Shape[1]%patch != 0 {
		panic(fmt.Sprintf("cpu: patches of %d from %v", patch, pixels))
	}
	c, s := pixels.Shape[0], pixels.Shape[1]
	g := s / patch
	out := b.tensor(g*g, c*patch*patch)
	runtime.CutPatches(data(out), data(pixels), c, s, patch)
	return out
}
