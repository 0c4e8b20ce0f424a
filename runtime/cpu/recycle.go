package cpu

import (
	"sync"

	"github.com/edgevlm/edge/runtime"
)

// recycler keeps the storage of tensors the model code has given back, by length,
// for the next results of the same size. A forward pass makes the same sizes over and
// over, so after the first pass its intermediates stop allocating.
type recycler struct {
	mu    sync.Mutex
	free  map[int][][]float32
	bytes int
}

// recycleLimit bounds the memory kept for reuse.
const recycleLimit = 64 << 20

// Recycle takes back tensors the caller will not use again. Views sharing storage
// with a live tensor must not be given back.
func (b *Backend) Recycle(ts ...*runtime.Tensor) {
	r := &b.recycled
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.free == nil {
		r.free = map[int][][]float32{}
	}
	for _, t := range ts {
		if t == nil || len(t.Data) == 0 {
			continue
		}
		if r.bytes+4*len(t.Data) > recycleLimit {
			return
		}
		r.free[len(t.Data)] = append(r.free[len(t.Data)], t.Data)
		r.bytes += 4 * len(t.Data)
		t.Data = nil // a use after Recycle fails loudly instead of reading reused memory
	}
}

// tensor returns a tensor of the given shape whose contents are undefined: every
// caller writes all of it.
func (b *Backend) tensor(shape ...int) *runtime.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	r := &b.recycled
	r.mu.Lock()
	if list := r.free[n]; len(list) > 0 {
		data := list[len(list)-1]
		r.free[n] = list[:len(list)-1]
		r.bytes -= 4 * n
		r.mu.Unlock()
		return runtime.FromData(data, shape...)
	}
	r.mu.Unlock()
	return runtime.NewTensor(shape...)
}
