package cuda

import (
	"unsafe"
)

// Scratch slots: device buffers reused by every op (calls are serialised), grown on
// demand, for what an op needs only while it runs (LinearAdd's product) and for the
// tests that drive the library's entry points directly.
const (
	slotA   = iota // first input (x, q)
	slotB          // second input (y, k)
	slotC          // third input (v)
	slotD          // bias of attention scores
	slotOut        // result
	numSlots
)

type deviceBuffer struct {
	ptr   uintptr
	bytes uint64
}

// slot returns slot i with room for at least bytes.
func (b *Backend) slot(i int, bytes uint64) uintptr {
	s := &b.slots[i]
	if bytes <= s.bytes && s.ptr != 0 {
		return s.ptr
	}
	if s.ptr != 0 {
		b.must("edge_free", b.lib.free(b.ctx, s.ptr))
		s.ptr, s.bytes = 0, 0
	}
	want := max(bytes+bytes/4, 1<<16) // headroom: a growing sequence reallocates rarely
	var p uintptr
	b.must("edge_malloc", b.lib.malloc(b.ctx, want, &p))
	s.ptr, s.bytes = p, want
	return p
}

// upload copies host floats into slot i and returns its device pointer.
func (b *Backend) upload(i int, data []float32) uintptr {
	p := b.slot(i, uint64(4*max(len(data), 1)))
	if len(data) > 0 {
		b.must("edge_memcpy_h2d", b.lib.h2d(b.ctx, p, unsafe.Pointer(&data[0]), uint64(4*len(data))))
	}
	return p
}

// download copies len(dst) floats from the device into dst (and waits for the stream).
func (b *Backend) download(dst []float32, p uintptr) {
	if len(dst) == 0 {
		return
	}
	b.must("edge_memcpy_d2h", b.lib.d2h(b.ctx, unsafe.Pointer(&dst[0]), p, uint64(4*len(dst))))
}

// alloc makes a long-lived device buffer (weights, caches).
func (b *Backend) alloc(bytes uint64) (uintptr, error) {
	var p uintptr
	if err := b.call("edge_malloc", b.lib.malloc(b.ctx, max(bytes, 1), &p)); err != nil {
		return 0, err
	}
	return p, nil
}

// uploadTo copies host bytes to a device buffer.
func (b *Backend) uploadTo(p uintptr, src unsafe.Pointer, bytes uint64) error {
	if bytes == 0 {
		return nil
	}
	return b.call("edge_memcpy_h2d", b.lib.h2d(b.ctx, p, src, bytes))
}

// ptrOf is the address of a non-empty slice's first element, for the C side.
func ptrOf[T any](s []T) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(s)) }
