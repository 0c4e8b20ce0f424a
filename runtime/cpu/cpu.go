// Package cpu is the portable CPU backend: float32 (and int8) kernels from
// runtime/kernels, work split across cores by a pool of workers.
package cpu

import (
	goruntime "runtime"
	"sync"

	"github.com/edgevlm/edge/runtime"
)

// Backend runs operations on the CPU with up to Threads goroutines.
type Backend struct {
	threads  int
	pool     *pool
	scratch  sync.Pool // *[]float32 buffers for per-chunk intermediates
	scratchI sync.Pool // *[]int32
	scratchQ sync.Pool // *[]int8
	recycled recycler
}

// New returns a CPU backend using threads goroutines (0 means every core). Its
// workers start on first use; Close stops them (they also stop once the backend is
// no longer referenced).
func New(threads int) *Backend {
	if threads <= 0 {
		threads = goruntime.NumCPU()
	}
	b := &Backend{threads: threads, pool: newPool(threads - 1)}
	goruntime.AddCleanup(b, func(p *pool) { p.close() }, b.pool)
	return b
}

// Close stops the backend's workers. The backend must not be used afterwards.
func (b *Backend) Close() error {
	b.pool.close()
	return nil
}

// Name says which backend this is and how wide it runs.
func (b *Backend) Name() string { return "cpu" }

// Threads is the number of goroutines an operation may use.
func (b *Backend) Threads() int { return b.threads }

// parallel splits [0, n) into at most b.threads chunks of at least grain items and runs fn
// on each; it returns when all are done.
func (b *Backend) parallel(n, grain int, fn func(lo, hi int)) {
	b.parallelAligned(n, grain, 1, fn)
}

// parallelAligned is parallel with chunk edges at multiples of align (but n).
func (b *Backend) parallelAligned(n, grain, align int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := min((n+grain-1)/grain, b.threads)
	if chunks <= 1 || b.threads == 1 {
		fn(0, n)
		return
	}
	var buf [17]int
	bounds := buf[:0]
	if chunks+1 > len(buf) {
		bounds = make([]int, 0, chunks+1)
	}
	units := (n + align - 1) / align
	chunks = min(chunks, units)
	bounds = append(bounds, 0)
	for c := 1; c < chunks; c++ {
		bounds = append(bounds, min(units*c/chunks*align, n))
	}
	bounds = append(bounds, n)
	b.pool.run(fn, bounds)
}

// floats returns a scratch buffer of at least n floats (contents undefined); give
// it back with release.
func (b *Backend) floats(n int) *[]float32 {
	if p, ok := b.scratch.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func (b *Backend) release(p *[]float32) { b.scratch.Put(p) }

func (b *Backend) int32s(n int) *[]int32 { return grab[int32](&b.scratchI, n) }

func (b *Backend) int8s(n int) *[]int8 { return grab[int8](&b.scratchQ, n) }

func grab[T any](p *sync.Pool, n int) *[]T {
	if s, ok := p.Get().(*[]T); ok && cap(*s) >= n {
		*s = (*s)[:n]
		return s
	}
	s := make([]T, n)
	return &s
}

var _ runtime.Backend = (*Backend)(nil)
var _ runtime.FusedLinear = (*Backend)(nil)
var _ runtime.QKVAttention = (*Backend)(nil)
var _ runtime.Recycler = (*Backend)(nil)
