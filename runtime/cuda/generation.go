package cuda

import (
	"fmt"
	"unsafe"

	"github.com/edgevlm/edge/runtime"
)

// The operations below are not part of runtime.Backend yet. They are what a decode loop
// that keeps its state on the device needs (see the package doc): token embeddings
// gathered on the GPU, greedy choice without copying the logits back, and a key/value
// cache that never leaves device memory.

// Embedding returns rows ids of the table w ([vocab, dim], resident like a linear weight).
func (b *Backend) Embedding(w *runtime.Weight, ids []int) (_ *runtime.Tensor, err error) {
	defer recoverError(&err)
	out := runtime.NewTensor(len(ids), w.In)
	if len(ids) == 0 {
		return out, nil
	}
	ids32 := make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id >= w.Out {
			return nil, fmt.Errorf("cuda: token id %d outside the vocabulary of %d", id, w.Out)
		}
		ids32[i] = int32(id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, err
	}
	d := b.weight(w)
	dy := b.slot(slotOut, 4*uint64(len(out.Data)))
	st := b.lib.embedding(b.ctx, unsafe.Pointer(&ids32[0]), int32(len(ids)), d.ptr, d.dtype, d.scales, int32(w.Out), int32(w.In), dy)
	if err = b.call("edge_embedding", st); err != nil {
		return nil, err
	}
	b.download(out.Data, dy)
	return out, nil
}

// Argmax returns, per row of x, the first index of its largest value.
func (b *Backend) Argmax(x *runtime.Tensor) (_ []int, err error) {
	defer recoverError(&err)
	rows, cols := x.Rows(), x.Cols()
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("cuda: argmax of an empty tensor %v", x.Shape)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, err
	}
	dx := b.upload(slotA, x.Data)
	idx := make([]int32, rows)
	if err = b.call("edge_argmax", b.lib.argmax(b.ctx, dx, int32(rows), int32(cols), unsafe.Pointer(&idx[0]))); err != nil {
		return nil, err
	}
	out := make([]int, rows)
	for i, v := range idx {
		out[i] = int(v)
	}
	return out, nil
}

// KVCache holds each layer's keys and values ([capacity, width] each) in device memory.
type KVCache struct {
	b        *Backend
	width    int
	capacity int
	n        []int
	k, v     []uintptr
}

// NewKVCache allocates layers caches of capacity positions of width floats.
func (b *Backend) NewKVCache(layers, width, capacity int) (*KVCache, error) {
	if layers <= 0 || width <= 0 || capacity <= 0 {
		return nil, fmt.Errorf("cuda: KV cache of %d layers × %d positions × %d columns", layers, capacity, width)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, err
	}
	c := &KVCache{b: b, width: width, capacity: capacity, n: make([]int, layers), k: make([]uintptr, layers), v: make([]uintptr, layers)}
	bytes := 4 * uint64(width) * uint64(capacity)
	for l := range c.k {
		var err error
		if c.k[l], err = b.alloc(bytes); err == nil {
			c.v[l], err = b.alloc(bytes)
		}
		if err != nil {
			c.free()
			return nil, fmt.Errorf("cuda: KV cache layer %d: %w", l, err)
		}
	}
	return c, nil
}

// Len is the number of positions cached in layer l.
func (c *KVCache) Len(l int) int { return c.n[l] }

// Append adds the rows of k and v ([n, width] each) to layer l.
func (c *KVCache) Append(l int, k, v *runtime.Tensor) (err error) {
	defer recoverError(&err)
	b := c.b
	if l < 0 || l >= len(c.n) {
		return fmt.Errorf("cuda: KV cache has no layer %d", l)
	}
	if k.Cols() != c.width || v.Cols() != c.width || k.Rows() != v.Rows() {
		return fmt.Errorf("cuda: KV append of k%v v%v to a cache of width %d", k.Shape, v.Shape, c.width)
	}
	n := k.Rows()
	if c.n[l]+n > c.capacity {
		return fmt.Errorf("cuda: KV cache layer %d holds %d of %d positions, cannot add %d", l, c.n[l], c.capacity, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	dk, dv := b.upload(slotA, k.Data), b.upload(slotB, v.Data)
	st := b.lib.kvAppend(b.ctx, c.k[l], c.v[l], int32(c.capacity), int32(c.width), int32(c.n[l]), dk, dv, int32(n))
	if err = b.call("edge_kv_append", st); err != nil {
		return err
	}
	c.n[l] += n
	return nil
}

// Rows copies layer l's cached keys and values back to the host.
func (c *KVCache) Rows(l int) (keys, values *runtime.Tensor, err error) {
	defer recoverError(&err)
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, nil, err
	}
	keys, values = runtime.NewTensor(c.n[l], c.width), runtime.NewTensor(c.n[l], c.width)
	b.download(keys.Data, c.k[l])
	b.download(values.Data, c.v[l])
	return keys, values, nil
}

// Attention attends q over layer l's cached keys and values without copying them.
func (c *KVCache) Attention(l int, q *runtime.Tensor, p runtime.AttentionParams) (_ *runtime.Tensor, err error) {
	defer recoverError(&err)
	b := c.b
	h, d := p.Heads, p.HeadDim
	if h*d != c.width || q.Cols() != c.width {
		return nil, fmt.Errorf("cuda: attention of q%v with %d heads of %d over a cache of width %d", q.Shape, h, d, c.width)
	}
	tq, tk := q.Rows(), c.n[l]
	if tq == 0 || tk == 0 {
		return nil, fmt.Errorf("cuda: attention of %d queries over %d cached keys", tq, tk)
	}
	if p.Bias != nil && len(p.Bias) != h*tq*tk {
		return nil, fmt.Errorf("cuda: attention bias of %d values for %d×%d×%d", len(p.Bias), h, tq, tk)
	}
	out := runtime.NewTensor(tq, c.width)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return nil, err
	}
	a := attnArgs{q: b.upload(slotA, q.Data), k: c.k[l], v: c.v[l], out: b.slot(slotOut, 4*uint64(len(out.Data))),
		tq: int32(tq), tk: int32(tk), heads: int32(h), headDim: int32(d), scale: p.Scale, allowT: b.tf32()}
	if p.Bias != nil {
		a.bias = b.upload(slotD, p.Bias)
	}
	if p.Causal {
		a.causal, a.queryOffset = 1, int32(p.QueryOffset)
	}
	if err = b.attend(&a); err != nil {
		return nil, err
	}
	b.download(out.Data, a.out)
	return out, nil
}

// Close frees the cache's device memory.
func (c *KVCache) Close() error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.b.closed {
		return nil
	}
	return c.free()
}

func (c *KVCache) free() error {
	var first error
	for l := range c.k {
		for _, p := range []*uintptr{&c.k[l], &c.v[l]} {
			if *p == 0 {
				continue
			}
			if err := c.b.call("edge_free", c.b.lib.free(c.b.ctx, *p)); err != nil && first == nil {
				first = err
			}
			*p = 0
		}
	}
	return first
}
