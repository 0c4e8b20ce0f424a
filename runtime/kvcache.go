package runtime

// KVCache holds the keys and values each attention layer has seen, one row per position
// ([T, heads·headDim]), so a decode step only computes the new token's projections.
type KVCache struct {
	width  int
	k, v   [][]float32 // per layer
	kt, vt []Tensor    // per layer: the views Append returns, reused so it does not allocate
}

// NewKVCache makes an empty cache for layers layers of width columns, with room for
// capacity positions before it grows.
func NewKVCache(layers, width, capacity int) *KVCache {
	c := &KVCache{width: width, k: make([][]float32, layers), v: make([][]float32, layers)}
	for i := range c.k {
		c.k[i] = make([]float32, 0, capacity*width)
		c.v[i] = make([]float32, 0, capacity*width)
	}
	c.views()
	return c
}

// views makes the per-layer tensors Append returns.
func (c *KVCache) views() {
	c.kt, c.vt = make([]Tensor, len(c.k)), make([]Tensor, len(c.v))
	for i := range c.kt {
		c.kt[i].Shape = []int{0, c.width}
		c.vt[i].Shape = []int{0, c.width}
	}
}

// Len is the number of positions cached in layer 0.
func (c *KVCache) Len() int { return len(c.k[0]) / c.width }

// Append adds the rows of k and v to layer l and returns the whole cached keys and
// values. They are views of the cache, valid until the next Append to layer l.
func (c *KVCache) Append(l int, k, v *Tensor) (keys, values *Tensor) {
	c.k[l] = append(c.k[l], k.Data...)
	c.v[l] = append(c.v[l], v.Data...)
	n := len(c.k[l]) / c.width
	keys, values = &c.kt[l], &c.vt[l]
	keys.Shape[0], keys.Data = n, c.k[l]
	values.Shape[0], values.Data = n, c.v[l]
	return keys, values
}

// Clone returns an independent copy (beam search forks hypotheses).
func (c *KVCache) Clone() *KVCache {
	d := &KVCache{width: c.width, k: make([][]float32, len(c.k)), v: make([][]float32, len(c.v))}
	for i := range c.k {
		d.k[i] = append(make([]float32, 0, cap(c.k[i])), c.k[i]...)
		d.v[i] = append(make([]float32, 0, cap(c.v[i])), c.v[i]...)
	}
	d.views()
	return d
}
