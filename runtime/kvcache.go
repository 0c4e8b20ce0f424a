package runtime

// KVCache holds the keys and values each attention layer has seen, one row per position
// ([T, heads·headDim]), so a decode step only computes the new token's projections.
type KVCache struct {
	width int
	k, v  [][]float32 // per layer
}

// NewKVCache makes an empty cache for layers layers of width columns, with room for
// capacity positions before it grows.
func NewKVCache(layers, width, capacity int) *KVCache {
	c := &KVCache{width: width, k: make([][]float32, layers), v: make([][]float32, layers)}
	for i := range c.k {
		c.k[i] = make([]float32, 0, capacity*width)
		c.v[i] = make([]float32, 0, capacity*width)
	}
	return c
}

// Len is the number of positions cached in layer 0.
func (c *KVCache) Len() int { return len(c.k[0]) / c.width }

// Append adds the rows of k and v to layer l and returns the whole cached keys and values.
func (c *KVCache) Append(l int, k, v *Tensor) (keys, values *Tensor) {
	c.k[l] = append(c.k[l], k.Data...)
	c.v[l] = append(c.v[l], v.Data...)
	n := len(c.k[l]) / c.width
	return FromData(c.k[l], n, c.width), FromData(c.v[l], n, c.width)
}

// Clone returns an independent copy (beam search forks hypotheses).
func (c *KVCache) Clone() *KVCache {
	d := &KVCache{width: c.width, k: make([][]float32, len(c.k)), v: make([][]float32, len(c.v))}
	for i := range c.k {
		d.k[i] = append(make([]float32, 0, cap(c.k[i])), c.k[i]...)
		d.v[i] = append(make([]float32, 0, cap(c.v[i])), c.v[i]...)
	}
	return d
}
