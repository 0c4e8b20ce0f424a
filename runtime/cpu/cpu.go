// Package cpu is the portable CPU backend: float32 (and int8) kernels from
// runtime/kernels, work split across cores by a pool of workers.
//
// Its room in docs/architecture.md: backends: imports only runtime/ and its kernels.
package cpu

import (
	"math/bits"
	goruntime "runtime"
	"sync"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Backend runs operations on the CPU with up to Threads goroutines.
type Backend struct {
	threads  int
	pool     *pool
	scratch  scratch[float32] // buffers for per-chunk intermediates
	scratchI scratch[int32]
	scratchQ scratch[int8]
	// q8Scales holds decoding's activation block scales apart from scratch, so that
	// these small requests never take (and make the others reallocate) a large buffer.
	q8Scales scratch[float32]
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

// task is the arguments of one parallel operation, copied into the worker pool's job
// (see taskFunc): each operation uses the fields it needs.
type task struct {
	b         *Backend
	x, y, out []float32
	gain      []float32 // a norm's weight
	bias      []float32
	w         *runtime.Weight
	pb        kernels.PackedB
	pq        *kernels.PackedBI8
	qx        []int8
	sx        []float32
	q8        [2]kernels.Q8 // decoding's activation rows, quantized in blocks
	rows      int
	n, k      int
	nb        int // weight rows dequantised per block
	acc       bool
	shared    bool // activations quantized once for every chunk
	act       runtime.Activation
	eps       float32
	attn      attnTask
}

// parallel splits [0, n) into at most b.threads chunks of at least grain items and runs
// fn on t for each; it returns when all are done.
func (b *Backend) parallel(n, grain int, fn taskFunc, t *task) {
	b.parallelAligned(n, grain, 1, fn, t)
}

// parallelAligned is parallel with chunk edges at multiples of align (but n).
func (b *Backend) parallelAligned(n, grain, align int, fn taskFunc, t *task) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := min((n+grain-1)/grain, b.threads, maxChunks)
	var buf [maxChunks + 1]int
	bounds := buf[:0]
	units := (n + align - 1) / align
	chunks = max(min(chunks, units), 1)
	if b.threads == 1 {
		chunks = 1
	}
	bounds = append(bounds, 0)
	for c := 1; c < chunks; c++ {
		bounds = append(bounds, min(units*c/chunks*align, n))
	}
	bounds = append(bounds, n)
	b.pool.run(fn, t, bounds)
}

// floats returns a scratch buffer of at least n floats (contents undefined); give
// it back with release.
func (b *Backend) floats(n int) *[]float32 { return b.scratch.get(n) }

func (b *Backend) release(p *[]float32) { b.scratch.put(p) }

func (b *Backend) int32s(n int) *[]int32 { return b.scratchI.get(n) }

func (b *Backend) int8s(n int) *[]int8 { return b.scratchQ.get(n) }

// scratch keeps given-back buffers for the next operations. It is a plain locked
// stack rather than a sync.Pool, whose contents a garbage collection (or the race
// detector, on purpose) may drop: a decode step must find its buffers every time.
type scratch[T any] struct {
	mu   sync.Mutex
	free []*[]T
}

// scratchKeep bounds the buffers kept per kind (a few per worker).
const scratchKeep = 64

func (s *scratch[T]) get(n int) *[]T {
	s.mu.Lock()
	for i := len(s.free) - 1; i >= 0; i-- {
		if p := s.free[i]; cap(*p) >= n {
			last := len(s.free) - 1
			s.free[i] = s.free[last]
			s.free[last] = nil
			s.free = s.free[:last]
			s.mu.Unlock()
			*p = (*p)[:n]
			return p
		}
	}
	s.mu.Unlock()
	// Room to the next power of two: a buffer that grows with the context (attention
	// scores while decoding) is replaced a few times, not at every token.
	v := make([]T, n, 1<<bits.Len(uint(max(n, 64)-1)))
	return &v
}

func (s *scratch[T]) put(p *[]T) {
	s.mu.Lock()
	if len(s.free) < scratchKeep {
		s.free = append(s.free, p)
	}
	s.mu.Unlock()
}

var _ runtime.Backend = (*Backend)(nil)
var _ runtime.FusedLinear = (*Backend)(nil)
var _ runtime.Recycler = (*Backend)(nil)

// data is t's host storage: the CPU backend's tensors live on the host.
func data(t *runtime.Tensor) []float32 {
	d := tensorcore.Host(t)
	if d == nil && t.Numel() > 0 {
		panic("cpu: " + t.String() + " has no host storage (given back, or made by another backend)")
	}
	return d
}
