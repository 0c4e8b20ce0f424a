package preprocess

import (
	"runtime"
	"sync"
)

// maxThreads bounds the worker set: a 224² frame is about a millisecond of
// work, and more goroutines than this spend more on waking than they save.
const maxThreads = 8

// defaultThreads is a Processor's thread count unless SetThreads says
// otherwise: GOMAXPROCS, at most 4.
func defaultThreads() int { return min(runtime.GOMAXPROCS(0), 4) }

// team runs one step of a frame on n goroutines, the caller being one of
// them. Its func values are made once, so running a step allocates nothing.
type team struct {
	n    int
	task func(part, parts int) // the step being run; set from a cached method value
	fns  []func()              // fns[i] runs part i and signals wg
	wg   sync.WaitGroup
}

// setThreads sizes the team (1..maxThreads).
func (t *team) setThreads(n int) {
	n = min(max(n, 1), maxThreads)
	if n == t.n && len(t.fns) == n {
		return
	}
	t.n = n
	t.fns = make([]func(), n)
	for i := range t.fns {
		t.fns[i] = func() {
			t.task(i, t.n)
			t.wg.Done()
		}
	}
}

// run calls task(part, parts) for part in 0..parts-1, parts = t.n, the
// caller taking part 0, and returns when all are done. With one thread it
// is a plain call.
func (t *team) run(task func(part, parts int)) {
	if t.n <= 1 {
		task(0, 1)
		return
	}
	t.task = task
	t.wg.Add(t.n - 1)
	for i := 1; i < t.n; i++ {
		go t.fns[i]()
	}
	task(0, t.n)
	t.wg.Wait()
	t.task = nil
}

// span is part of parts of the range lo..hi, split into near-equal runs.
func span(lo, hi, part, parts int) (int, int) {
	n := hi - lo
	return lo + n*part/parts, lo + n*(part+1)/parts
}
