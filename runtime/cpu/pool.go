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
	cpus    []int         // the CPUs the process may use, when the pool started
	checks  uint32        // operations since the dispatcher's CPU was last checked (under mu)
	job     job           // the one job, reused by every operation (under mu)
	current atomic.Uint64 // the number of the job workers should take part in
	seq     uint64        // the last job's number (under mu)
	inline  sync.Pool     // *task copies for operations run inline
	stop    chan struct{}
	wg      sync.WaitGroup
	count   int
}

// spinFor is how long an idle worker watches for work before it parks.
const spinFor = 300 * time.Microsecond

// maxChunks bounds the chunks of one operation (the job keeps their bounds inline).
const maxChunks = 64

// taskFunc runs chunk [lo, hi) of an operation described by t. The operations pass
// functions that capture nothing, and their arguments in a task copied into the job:
// a closure handed to other goroutines would be allocated on every call, and a
// decode step makes hundreds of calls.
type taskFunc func(t *task, lo, hi int)

// job is one operation's chunks: [bounds[i], bounds[i+1]) for i < chunks.
//
// state packs the job's number (high 32 bits), its chunk count (16 bits) and the next
// chunk to claim (low 16 bits). A worker claims a chunk by a compare-and-swap of the
// whole word, so a worker that is late for a finished job (its number is gone) can
// never claim a chunk of the next one through a stale view; and fn, bounds and task
// are written before state publishes them and read only after a claim.
type job struct {
	state   atomic.Uint64
	pending atomic.Int32 // chunks not finished
	fn      taskFunc
	task    task
	bounds  [maxChunks + 1]int
}

// drain runs chunks of job number seq until none is left to claim.
func (j *job) drain(seq uint64) {
	for {
		v := j.state.Load()
		if v>>32 != seq&0xffffffff {
			return
		}
		chunks, next := (v>>16)&0xffff, v&0xffff
		if next >= chunks {
			return
		}
		if !j.state.CompareAndSwap(v, v+1) {
			continue
		}
		j.fn(&j.task, j.bounds[next], j.bounds[next+1])
		j.pending.Add(-1)
	}
}

type worker struct {
	index  int
	parked atomic.Bool
	wake   chan struct{}
	tid    atomic.Int32 // its thread, once started
	cpu    atomic.Int32 // the CPU it is pinned to; −1: not (yet) pinned
}

func newPool(workers int) *pool { return &pool{count: workers, stop: make(chan struct{})} }

func (p *pool) start() {
	p.once.Do(func() {
		p.cpus = allowedCPUs()
		for i := range p.count {
			w := &worker{index: i, wake: make(chan struct{}, 1)}
			w.cpu.Store(-1)
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
	tid, cpu := pinThread(w.index, p.cpus)
	w.tid.Store(int32(tid))
	w.cpu.Store(int32(cpu))
	var last uint64
	for {
		seq, ok := p.await(w, last)
		if !ok {
			return
		}
		last = seq
		p.job.drain(seq)
	}
}

// await returns the current job's number once it is a newer one than last, or false
// when the pool stops. It spins without giving up its processor (a Go yield puts the goroutine
// on the global run queue, where it can end up sharing the dispatcher's processor),
// giving up its thread's CPU now and then (yieldThread) in case it shares it, and
// rarely its processor, so that a pool wider than GOMAXPROCS cannot starve the
// dispatcher.
func (p *pool) await(w *worker, last uint64) (uint64, bool) {
	deadline := time.Now().Add(spinFor)
	for spins := 1; ; spins++ {
		if s := p.current.Load(); s != last {
			return s, true
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
		if s := p.current.Load(); s != last {
			if !w.parked.CompareAndSwap(true, false) {
				<-w.wake
			}
			return s, true
		}
		select {
		case <-w.wake:
		case <-p.stop:
			return 0, false
		}
		deadline = time.Now().Add(spinFor)
	}
}

// keepOffWorkers moves a pinned worker off the CPU the dispatching thread is on. The
// dispatcher's thread is not pinned (it is the caller's), and the kernel can put it
// on a worker's CPU and leave it there while another CPU idles: the two then take
// turns on one CPU (measured on two CPUs: the image path's 197×576×192 product took
// 218 µs on "two threads" that way against 125 µs apart, for whole runs). The worker
// moves to a CPU no worker holds.
func (p *pool) keepOffWorkers() {
	if !cheapThreadCPU {
		p.checks++
		if p.checks%16 != 1 {
			return
		}
	}
	c := threadCPU()
	if c < 0 {
		return
	}
	for _, w := range p.workers {
		if int(w.cpu.Load()) != c {
			continue
		}
		if to := p.freeCPU(c); to >= 0 && repinThread(int(w.tid.Load()), to) {
			w.cpu.Store(int32(to))
		}
	}
}

// freeCPU is an allowed CPU other than c that no worker is pinned to, or −1.
func (p *pool) freeCPU(c int) int {
next:
	for _, f := range p.cpus {
		if f == c {
			continue
		}
		for _, w := range p.workers {
			if int(w.cpu.Load()) == f {
				continue next
			}
		}
		return f
	}
	return -1
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

// run calls fn on t for the chunks [bounds[i], bounds[i+1]) on the calling goroutine
// and the workers, and returns when all are done. t is copied, not kept. While another
// goroutine's operation holds the workers, the chunks run inline.
func (p *pool) run(fn taskFunc, t *task, bounds []int) {
	chunks := len(bounds) - 1
	if chunks > maxChunks || !p.mu.TryLock() {
		// Another goroutine's operation holds the workers: run inline on a copy of t
		// from the inline pool (this path may allocate).
		c, _ := p.inline.Get().(*task)
		if c == nil {
			c = new(task)
		}
		*c = *t
		for i := range chunks {
			fn(c, bounds[i], bounds[i+1])
		}
		*c = task{} // keep no slices alive from the pool
		p.inline.Put(c)
		return
	}
	j := &p.job
	if chunks <= 1 {
		// One chunk: no workers, but the job's own task, so t stays on its caller's stack.
		j.task = *t
		fn(&j.task, bounds[0], bounds[chunks])
		j.task = task{}
		p.mu.Unlock()
		return
	}
	defer p.mu.Unlock()
	p.start()
	p.keepOffWorkers()
	p.seq++
	j.fn, j.task = fn, *t
	copy(j.bounds[:], bounds)
	j.pending.Store(int32(chunks))
	// Chunk 0 is the dispatcher's, claimed before the workers see the job: an
	// operation split like the one before it then finds its rows in the same core's
	// cache (see splitRows in linear.go).
	j.state.Store((p.seq&0xffffffff)<<32 | uint64(chunks)<<16 | 1)
	p.current.Store(p.seq)
	for _, w := range p.workers {
		if w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	fn(&j.task, bounds[0], bounds[1])
	j.pending.Add(-1)
	j.drain(p.seq)
	// Only chunks a worker has started are left: they finish without us.
	for spins := 1; j.pending.Load() > 0; spins++ {
		if spins%256 == 0 {
			yieldThread() // the worker may share our CPU
		}
		if spins%(1<<14) == 0 {
			goruntime.Gosched()
		}
	}
	j.task = task{} // keep no slices alive between operations
}
