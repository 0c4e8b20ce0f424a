package cpu

import (
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool is a set of long-lived worker goroutines that share the chunks of one
// operation with the goroutine that started it.
//
// The image path of a small model is a hundred operations of some tens of
// microseconds each, so two things matter. Waking a parked goroutine costs about as
// much as an operation: a worker that has just finished spins for a short while
// (spinFor) watching for the next job before it parks. And a worker can be late (its
// thread still waking, or descheduled by the OS): chunks are claimed, not assigned,
// so the dispatching goroutine takes any chunk nobody has started and never waits for
// a worker that has not begun. The pool belongs to one Backend: Close, or the backend
// becoming unreachable, stops it.
type pool struct {
	mu      sync.Mutex // one operation at a time; others run their chunks inline
	once    sync.Once
	workers []*worker
	current atomic.Pointer[job] // nil between operations, so that no closure outlives its call
	seq     uint64              // the last job's number (under mu)
	stop    chan struct{}
	wg      sync.WaitGroup
	count   int
}

// spinFor is how long an idle worker watches for work before it parks.
const spinFor = 300 * time.Microsecond

// job is one operation's chunks: [bounds[i], bounds[i+1]) for i < len(bounds)-1.
type job struct {
	seq     uint64
	fn      func(lo, hi int)
	bounds  []int
	next    atomic.Int32 // the next chunk to claim
	pending atomic.Int32 // chunks not finished
}

// drain runs chunks of j until none is left to claim.
func (j *job) drain() {
	chunks := int32(len(j.bounds) - 1)
	for {
		i := j.next.Add(1) - 1
		if i >= chunks {
			return
		}
		j.fn(j.bounds[i], j.bounds[i+1])
		j.pending.Add(-1)
	}
}

type worker struct {
	index  int
	parked atomic.Bool
	wake   chan struct{}
}

func newPool(workers int) *pool { return &pool{count: workers, stop: make(chan struct{})} }

func (p *pool) start() {
	p.once.Do(func() {
		for i := range p.count {
			w := &worker{index: i, wake: make(chan struct{}, 1)}
			p.workers = append(p.workers, w)
			p.wg.Add(1)
			go p.work(w)
		}
	})
}

func (p *pool) work(w *worker) {
	defer p.wg.Done()
	goruntime.LockOSThread() // the thread is pinned to a CPU: keep it for this worker
	defer goruntime.UnlockOSThread()
	pinThread(w.index)
	var last uint64
	for {
		j := p.await(w, last)
		if j == nil {
			return
		}
		last = j.seq
		j.drain()
	}
}

// await returns the current job once it is a newer one than last, or nil when the
// pool stops. It spins without giving up its processor (a Go yield puts the goroutine
// on the global run queue, where it can end up sharing the dispatcher's processor),
// giving up its thread's CPU now and then (yieldThread) in case it shares it, and
// rarely its processor, so that a pool wider than GOMAXPROCS cannot starve the
// dispatcher.
func (p *pool) await(w *worker, last uint64) *job {
	deadline := time.Now().Add(spinFor)
	for spins := 1; ; spins++ {
		if j := p.current.Load(); j != nil && j.seq != last {
			return j
		}
		if spins%256 != 0 {
			continue
		}
		yieldThread()
		if spins%(1<<14) == 0 {
			goruntime.Gosched()
		}
		if time.Now().Before(deadline) {
			continue
		}
		// Park. The dispatcher clears parked and sends a wake-up; if a job came in
		// between, take back the flag or, when the dispatcher took it, its wake-up.
		w.parked.Store(true)
		if j := p.current.Load(); j != nil && j.seq != last {
			if !w.parked.CompareAndSwap(true, false) {
				<-w.wake
			}
			return j
		}
		select {
		case <-w.wake:
		case <-p.stop:
			return nil
		}
		deadline = time.Now().Add(spinFor)
	}
}

// close stops the workers and waits for them. Operations must not run during or
// after it.
func (p *pool) close() {
	p.once.Do(func() {}) // a pool never started stays unstarted
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.wg.Wait()
}

// run calls fn on the chunks [bounds[i], bounds[i+1]) on the calling goroutine and
// the workers, and returns when all are done. While another goroutine's operation
// holds the workers, the chunks run inline.
func (p *pool) run(fn func(lo, hi int), bounds []int) {
	chunks := len(bounds) - 1
	if chunks <= 1 || !p.mu.TryLock() {
		for c := range chunks {
			fn(bounds[c], bounds[c+1])
		}
		return
	}
	defer p.mu.Unlock()
	p.start()
	p.seq++
	j := &job{seq: p.seq, fn: fn, bounds: bounds}
	j.pending.Store(int32(chunks))
	p.current.Store(j)
	for _, w := range p.workers {
		if w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	j.drain()
	// Only chunks a worker has started are left: they finish without us.
	for spins := 1; j.pending.Load() > 0; spins++ {
		if spins%256 == 0 {
			yieldThread() // the worker may share our CPU
		}
		if spins%(1<<14) == 0 {
			goruntime.Gosched()
		}
	}
	p.current.Store(nil)
}
