package tokenizer

import (
	"sync"
	"sync/atomic"
)

// wordCache remembers what a model made of the words it has seen (per
// model, so per Tokenizer). It stops growing at wordCacheCap entries, as
// tokenizers' cache does; reads take no lock once entries settle (sync.Map).
type wordCache[V any] struct {
	m    sync.Map // string -> V
	size atomic.Int64
}

const (
	wordCacheCap    = 10000
	wordCacheMaxLen = 256 // longer words are not worth keeping
)

func (c *wordCache[V]) get(w string) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	v, ok := c.m.Load(w)
	if !ok {
		return zero, false
	}
	return v.(V), true
}

func (c *wordCache[V]) put(w string, v V) {
	if c == nil || len(w) >= wordCacheMaxLen || c.size.Load() >= wordCacheCap {
		return
	}
	if _, loaded := c.m.LoadOrStore(w, v); !loaded {
		c.size.Add(1)
	}
}
