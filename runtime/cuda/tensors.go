package cuda

import (
	"fmt"
	goruntime "runtime"
	"unsafe"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
)

// Tensors of this backend live in device memory: a forward pass keeps its activations
// there from op to op, and values cross to the host only through FromHost, Upload and
// Host. Buffers are reused by size (like the CPU backend's recycler), so steady-state
// decoding does not call cudaMalloc; a buffer nobody gives back is freed when its
// tensor is garbage collected.

// devBuf is one device allocation behind a tensor.
type devBuf struct {
	ptr   uintptr
	bytes uint64
}

// spareBuf is a given-back tensor: its header and its buffer.
type spareBuf struct {
	t   *runtime.Tensor
	buf *devBuf
}

// freeLimit bounds the device memory kept for reuse.
const freeLimit = 2 << 30

// newTensor returns a tensor of shape on the device with undefined values; the caller
// holds b.mu.
func (b *Backend) newTensor(shape ...int) *runtime.Tensor {
	b.mustBeOpen()
	bytes := 4 * uint64(max(tensorcore.Numel(shape), 1))
	if list := b.free[bytes]; len(list) > 0 {
		s := list[len(list)-1]
		list[len(list)-1] = spareBuf{}
		b.free[bytes] = list[:len(list)-1]
		b.freeBytes -= bytes
		s.t.Shape = append(s.t.Shape[:0], shape...)
		tensorcore.SetDevice(s.t, s.buf.ptr, s.buf)
		return s.t
	}
	var p uintptr
	b.must("edge_malloc", b.lib.malloc(b.ctx, bytes, &p))
	buf := &devBuf{ptr: p, bytes: bytes}
	goruntime.AddCleanup(buf, b.lost, p)
	return tensorcore.NewDevice(p, buf, shape...)
}

// lost frees the memory of a buffer whose last tensor was garbage collected.
func (b *Backend) lost(p uintptr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.lib.free(b.ctx, p)
	}
}

// Recycle takes back tensors the caller will not use again; their buffers serve the
// next results of the same size. Views are not taken (they do not own their memory).
func (b *Backend) Recycle(ts ...*runtime.Tensor) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	for _, t := range ts {
		if t == nil {
			continue
		}
		dev, owner := tensorcore.Device(t)
		buf, ok := owner.(*devBuf)
		if !ok || dev != buf.ptr || b.freeBytes+buf.bytes > freeLimit {
			continue
		}
		b.free[buf.bytes] = append(b.free[buf.bytes], spareBuf{t, buf})
		b.freeBytes += buf.bytes
		tensorcore.Clear(t) // a use after Recycle fails loudly
	}
}

// ptr is t's device address.
func ptr(t *runtime.Tensor) uintptr {
	dev, _ := tensorcore.Device(t)
	if dev == 0 && t.Numel() > 0 {
		panic("cuda: " + t.String() + " has no device storage (given back, or made by another backend)")
	}
	return dev
}

// NewTensor returns a device tensor of shape with undefined values.
func (b *Backend) NewTensor(shape ...int) *runtime.Tensor {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.newTensor(shape...)
}

// FromHost uploads values into a new device tensor.
func (b *Backend) FromHost(values []float32, shape ...int) *runtime.Tensor {
	if len(values) != tensorcore.Numel(shape) {
		panic(fmt.Sprintf("cuda: %d values for shape %v", len(values), tensorcore.ShapeCopy(shape)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.newTensor(shape...)
	if len(values) > 0 {
		b.must("edge_memcpy_h2d", b.lib.h2d(b.ctx, ptr(t), unsafe.Pointer(&values[0]), 4*uint64(len(values))))
	}
	return t
}

// Upload overwrites dst with values.
func (b *Backend) Upload(dst *runtime.Tensor, values []float32) {
	if len(values) != dst.Numel() {
		panic(fmt.Sprintf("cuda: %d values for %v", len(values), dst))
	}
	if len(values) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_memcpy_h2d", b.lib.h2d(b.ctx, ptr(dst), unsafe.Pointer(&values[0]), 4*uint64(len(values))))
}

// Host copies t's values back (waiting for the work queued before).
func (b *Backend) Host(t *runtime.Tensor, dst []float32) []float32 {
	n := t.Numel()
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if n == 0 {
		return dst
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_memcpy_d2h", b.lib.d2h(b.ctx, unsafe.Pointer(&dst[0]), ptr(t), 4*uint64(n)))
	return dst
}

// CopyRows copies src's rows into dst from row at, device to device.
func (b *Backend) CopyRows(dst *runtime.Tensor, at int, src *runtime.Tensor) {
	c := dst.Cols()
	if src.Cols() != c || at < 0 || at+src.Rows() > dst.Rows() {
		panic(fmt.Sprintf("cuda: copy of %v into rows %d.. of %v", src, at, dst))
	}
	if src.Numel() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.must("edge_memcpy_d2d", b.lib.d2d(b.ctx, ptr(dst)+uintptr(4*at*c), ptr(src), 4*uint64(src.Numel())))
}

// Embed gathers rows of the resident table w on the device; only the ids go up.
func (b *Backend) Embed(w *runtime.Weight, ids []int, dst *runtime.Tensor) {
	if dst.Rows() != len(ids) || dst.Cols() != w.In {
		panic(fmt.Sprintf("cuda: embedding of %d ids into %v from a [%d,%d] table", len(ids), dst, w.Out, w.In))
	}
	if len(ids) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	b.ids = b.ids[:0]
	for _, id := range ids {
		if id < 0 || id >= w.Out {
			panic(fmt.Sprintf("cuda: token id %d outside a table of %d rows", id, w.Out))
		}
		b.ids = append(b.ids, int32(id))
	}
	d := b.weight(w)
	b.must("edge_embedding", b.lib.embedding(b.ctx, unsafe.Pointer(&b.ids[0]), int32(len(ids)), d.ptr, d.dtype, d.scales,
		int32(w.Out), int32(w.In), ptr(dst)))
}

// AddRows adds rows first.. of a resident parameter table to x.
func (b *Backend) AddRows(x *runtime.Tensor, table []float32, first int) {
	c, n := x.Cols(), x.Rows()
	if first < 0 || (first+n)*c > len(table) {
		panic(fmt.Sprintf("cuda: rows %d..%d of a table of %d rows added to %v", first, first+n, len(table)/max(c, 1), x))
	}
	if n*c == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	rows := b.param(table) + uintptr(4*first*c)
	b.must("edge_add", b.lib.add(b.ctx, ptr(x), rows, uint64(n*c)))
}

// Scale multiplies x by s: an element-wise product with a resident constant vector.
func (b *Backend) Scale(x *runtime.Tensor, s float32) {
	n := x.Numel()
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	k := constKey{s, n}
	v, ok := b.consts[k]
	if !ok {
		v = make([]float32, n)
		for i := range v {
			v[i] = s
		}
		b.consts[k] = v
	}
	b.must("edge_gated_mul", b.lib.gatedMul(b.ctx, ptr(x), b.param(v), uint64(n), 0))
}

// constKey names a constant vector kept for Scale.
type constKey struct {
	s float32
	n int
}

// Argmax finds the largest value of x's last row on the device: 4 bytes come back.
func (b *Backend) Argmax(x *runtime.Tensor) int {
	rows, cols := x.Rows(), x.Cols()
	if rows == 0 || cols == 0 {
		panic(fmt.Sprintf("cuda: argmax of an empty tensor %v", x.Shape))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustBeOpen()
	last := ptr(x) + uintptr(4*(rows-1)*cols)
	b.must("edge_argmax", b.lib.argmax(b.ctx, last, 1, int32(cols), unsafe.Pointer(&b.argmaxOut)))
	return int(b.argmaxOut)
}
