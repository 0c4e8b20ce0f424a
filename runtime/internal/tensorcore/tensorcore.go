// Package tensorcore is the storage behind runtime.Tensor. It is internal to runtime/ on
// purpose: only the backends (runtime/cpu, runtime/cuda) may reach a tensor's values, so
// model code that tried to read or write them would not compile (Go refuses the import
// of an internal package from outside runtime/, and Tensor has no exported field that
// holds values).
//
// Its room in docs/architecture.md: kernels: imports nothing of the project; only runtime/ can import it.
package tensorcore

import "fmt"

// Tensor is a dense row-major float32 tensor whose values a backend keeps: on the host
// (host) or in device memory (dev, an address, with owner keeping the buffer alive).
// Model code sees only its shape.
type Tensor struct {
	Shape []int
	host  []float32
	dev   uintptr
	owner any
}

// Numel is the product of the dimensions.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Cols is the size of the last dimension.
func (t *Tensor) Cols() int { return t.Shape[len(t.Shape)-1] }

// Rows is the product of every dimension but the last.
func (t *Tensor) Rows() int {
	r := 1
	for _, d := range t.Shape[:len(t.Shape)-1] {
		r *= d
	}
	return r
}

// Numel is the number of values.
func (t *Tensor) Numel() int { return Numel(t.Shape) }

// RowsView makes into a 2-D view of rows [lo, hi) sharing t's storage and returns it
// (a new header when into is nil). Reusing a header keeps a decode step from
// allocating.
func (t *Tensor) RowsView(lo, hi int, into *Tensor) *Tensor {
	c := t.Cols()
	if lo < 0 || hi < lo || hi > t.Rows() {
		panic(fmt.Sprintf("runtime: rows [%d, %d) of a tensor %v", lo, hi, t.Shape))
	}
	host, dev, owner := t.host, t.dev, t.owner // into may be t
	if host != nil {
		host = host[lo*c : hi*c]
	}
	if dev != 0 {
		dev += uintptr(4 * lo * c)
	}
	if into == nil {
		into = &Tensor{}
	}
	into.Shape = append(into.Shape[:0], hi-lo, c)
	into.host, into.dev, into.owner = host, dev, owner
	return into
}

// View makes into a view of t's first elements with shape (at most t's size) and
// returns it: a tensor kept at its largest size serves every smaller step.
func (t *Tensor) View(into *Tensor, shape ...int) *Tensor {
	if Numel(shape) > t.Numel() {
		panic(fmt.Sprintf("runtime: a view %v of a tensor %v", ShapeCopy(shape), t.Shape))
	}
	host, dev, owner := t.host, t.dev, t.owner // into may be t
	if host != nil {
		host = host[:Numel(shape)]
	}
	into.Shape = append(into.Shape[:0], shape...)
	into.host, into.dev, into.owner = host, dev, owner
	return into
}

// Reshape returns a view with a new shape of the same size.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if Numel(shape) != t.Numel() {
		panic(fmt.Sprintf("runtime: cannot reshape %v to %v", t.Shape, ShapeCopy(shape)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), host: t.host, dev: t.dev, owner: t.owner}
}

// String describes the shape (never the values).
func (t *Tensor) String() string { return fmt.Sprintf("tensor%v", t.Shape) }

// Host is the tensor's host storage (nil when it lives on a device).
func Host(t *Tensor) []float32 { return t.host }

// Device is the device address of element 0 and the buffer that owns it.
func Device(t *Tensor) (uintptr, any) { return t.dev, t.owner }

// NewHost wraps host values (not copied) as a tensor of shape.
func NewHost(data []float32, shape ...int) *Tensor {
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("runtime: %d values do not fill shape %v", len(data), ShapeCopy(shape)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), host: data}
}

// NewDevice wraps device storage at addr, kept alive by owner.
func NewDevice(addr uintptr, owner any, shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), dev: addr, owner: owner}
}

// SetHost points t at host storage (a backend reusing a header).
func SetHost(t *Tensor, data []float32) { t.host, t.dev, t.owner = data, 0, nil }

// SetDevice points t at device storage.
func SetDevice(t *Tensor, addr uintptr, owner any) { t.host, t.dev, t.owner = nil, addr, owner }

// Clear detaches t from its storage, so a use after a backend took it back fails loudly.
func Clear(t *Tensor) { t.host, t.dev, t.owner = nil, 0, nil }

// ShapeCopy copies a shape for an error message, so that the caller's shape (often a
// variadic argument on its stack) does not escape to the heap through fmt.
func ShapeCopy(shape []int) []int { return append([]int(nil), shape...) }
