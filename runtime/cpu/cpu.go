// Package cpu is the portable CPU backend: float32 everywhere, work split across cores.
package cpu

import (
	goruntime "runtime"
	"sync"

	"github.com/edgevlm/edge/runtime"
)

// Backend runs operations on the CPU with up to Threads goroutines.
type Backend struct {
	threads int
}

// New returns a CPU backend using threads goroutines (0 means every core).
func New(threads int) *Backend {
	if threads <= 0 {
		threads = goruntime.NumCPU()
	}
	return &Backend{threads: threads}
}

// Name says which backend this is and how wide it runs.
func (b *Backend) Name() string { return "cpu" }

// Threads is the number of goroutines an operation may use.
func (b *Backend) Threads() int { return b.threads }

// parallel splits [0, n) into at most b.threads chunks of at least grain items and runs fn
// on each; it returns when all are done.
func (b *Backend) parallel(n, grain int, fn func(lo, hi int)) {
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	if chunks > b.threads {
		chunks = b.threads
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + chunks - 1) / chunks
	for lo := step; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, min(step, n))
	wg.Wait()
}

var _ runtime.Backend = (*Backend)(nil)
