package runtime

// KVCache holds the keys and values each attention layer has seen, one row per position
// ([T, heads·headDim]), in the backend's memory (device memory for CUDA), so a decode
// step computes only the new token's projections and appends them where they stay.
type KVCache struct {
	be     Backend
	width  int
	n      []int     // positions cached per layer
	k, v   []*Tensor // per layer: [capacity, width]
	kt, vt []Tensor  // per layer: the views Append returns, reused so it does not allocate
}

// NewKVCache makes an empty cache on be for layers layers of width columns, with room
// for capacity positions before it grows.
func NewKVCache(be Backend, layers, width, capacity int) *KVCache {
	capacity = max(capacity, 1)
	c := &KVCache{be: be, width: width, n: make([]int, layers), k: make([]*Tensor, layers), v: make([]*Tensor, layers),
		kt: make([]Tensor, layers), vt: make([]Tensor, layers)}
	for l := range c.k {
		c.k[l], c.v[l] = be.NewTensor(capacity, width), be.NewTensor(capacity, width)
	}
	return c
}

// Len is the number of positions cached in layer 0.
func (c *KVCache) Len() int { return c.n[0] }

// Capacity is how many positions fit before the cache grows.
func (c *KVCache) Capacity() int { return c.k[0].Rows() }

// Append adds the rows of k and v to layer l and returns the whole cached keys and
// values. They are views of the cache, valid until the next Append to layer l.
func (c *KVCache) Append(l int, k, v *Tensor) (keys, values *Tensor) {
	n := c.n[l] + k.Rows()
	if n > c.k[l].Rows() {
		c.grow(l, max(n, 2*c.k[l].Rows()))
	}
	c.be.CopyRows(c.k[l], c.n[l], k)
	c.be.CopyRows(c.v[l], c.n[l], v)
	c.n[l] = n
	return c.k[l].RowsView(0, n, &c.kt[l]), c.v[l].RowsView(0, n, &c.vt[l])
}

// grow moves layer l into storage for capacity positions.
func (c *KVCache) grow(l, capacity int) {
	for _, p := range []**Tensor{&c.k[l], &c.v[l]} {
		t := c.be.NewTensor(capacity, c.width)
		if c.n[l] > 0 {
			c.be.CopyRows(t, 0, (*p).RowsView(0, c.n[l], nil))
		}
		Recycle(c.be, *p)
		*p = t
	}
}

// Clone returns an independent copy with the same capacity (beam search forks
// hypotheses).
func (c *KVCache) Clone() *KVCache {
	d := NewKVCache(c.be, len(c.k), c.width, c.Capacity())
	for l := range c.k {
		if c.n[l] == 0 {
			continue
		}
		c.be.CopyRows(d.k[l], 0, c.k[l].RowsView(0, c.n[l], nil))
		c.be.CopyRows(d.v[l], 0, c.v[l].RowsView(0, c.n[l], nil))
		d.n[l] = c.n[l]
	}
	return d
}

// Release gives the cache's storage back to the backend; the cache must not be used
// afterwards.
func (c *KVCache) Release() {
	for l := range c.k {
		Recycle(c.be, c.k[l], c.v[l])
		c.k[l], c.v[l] = nil, nil
	}
}
