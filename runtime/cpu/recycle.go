package cpu

import (
	"sync"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
)

// recycler keeps the tensors the model code has given back, by length, for the next
// results of the same size. A forward pass makes the same sizes over and over, so
// after the first pass its intermediates stop allocating: neither their storage nor
// their headers (a decoded token's results are small, and their headers were most of
// its allocations).
type recycler struct {
	mu    sync.Mutex
	free  map[int][]spare
	bytes int
}

// spare is a given-back tensor: its header (storage detached) and its storage.
type spare struct {
	t    *runtime.Tensor
	data []float32
}

// recycleLimit bounds the memory kept for reuse.
const recycleLimit = 64 << 20

// Recycle takes back tensors the caller will not use again: both the header and its
// storage are handed out again for later results. Views sharing storage with a live
// tensor must not be given back.
func (b *Backend) Recycle(ts ...*runtime.Tensor) {
	r := &b.recycled
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.free == nil {
		r.free = map[int][]spare{}
	}
	for _, t := range ts {
		if t == nil {
			continue
		}
		d := tensorcore.Host(t)
		if len(d) == 0 {
			continue
		}
		if r.bytes+4*len(d) > recycleLimit {
			return
		}
		r.free[len(d)] = append(r.free[len(d)], spare{t, d})
		r.bytes += 4 * len(d)
		tensorcore.Clear(t) // a use after Recycle fails loudly until the header is handed out again
	}
}

// tensor returns a tensor of the given shape whose contents are undefined: every
// caller writes all of it. shape is copied, not kept.
func (b *Backend) tensor(shape ...int) *runtime.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	r := &b.recycled
	r.mu.Lock()
	if list := r.free[n]; len(list) > 0 {
		s := list[len(list)-1]
		list[len(list)-1] = spare{}
		r.free[n] = list[:len(list)-1]
		r.bytes -= 4 * n
		r.mu.Unlock()
		s.t.Shape = append(s.t.Shape[:0], shape...)
		tensorcore.SetHost(s.t, s.data)
		return s.t
	}
	r.mu.Unlock()
	return tensorcore.NewHost(make([]float32, n), shape...)
}
