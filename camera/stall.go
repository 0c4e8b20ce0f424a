package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrStalled is returned (wrapped) when a source gave no frame within the stall timeout.
var ErrStalled = errors.New("stalled")

// DefaultStallTimeout is how long a live source may go without a frame before it is
// taken for stalled.
const DefaultStallTimeout = 5 * time.Second

// StallStats counts what the stall guards of one camera saw. The zero value is ready.
type StallStats struct {
	Stalls    atomic.Uint64 // reads or opens that gave up waiting
	Abandoned atomic.Int64  // given-up calls still blocked in the driver now
	Stalled   atomic.Bool   // the latest read stalled and no frame came since
	LastAt    atomic.Int64  // when the latest stall was detected (Unix ns), 0 if never
}

func (s *StallStats) stalled() {
	if s == nil {
		return
	}
	s.Stalls.Add(1)
	s.Stalled.Store(true)
	s.LastAt.Store(time.Now().UnixNano())
}

// StallGuard bounds how long a Read of a source may block. OpenCV's reads (gocv 0.32)
// cannot be interrupted: a stream that stops sending without closing blocks Read until
// the driver's own timeout. The guard reads in a goroutine and gives up after the
// timeout with ErrStalled; the caller then closes the guard and opens a new source. The
// abandoned read keeps its goroutine until the driver returns, and the guard closes the
// source only then (closing it under a blocked read would wait for that read anyway).
type StallGuard struct {
	src     Source
	timeout time.Duration
	stats   *StallStats

	mu      sync.Mutex
	pending chan readResult // the read in flight, nil if none
	closed  bool
}

type readResult struct {
	f   Frame
	err error
}

// NewStallGuard wraps src; stats may be nil. A timeout of 0 means DefaultStallTimeout.
func NewStallGuard(src Source, timeout time.Duration, stats *StallStats) *StallGuard {
	if timeout <= 0 {
		timeout = DefaultStallTimeout
	}
	return &StallGuard{src: src, timeout: timeout, stats: stats}
}

// Name is the wrapped source's name.
func (g *StallGuard) Name() string { return g.src.Name() }

// Read gives the wrapped source's next frame, or an ErrStalled error when none came
// within the timeout. A read cut short by ctx is kept: the next Read takes its result.
func (g *StallGuard) Read(ctx context.Context) (Frame, error) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return Frame{}, ErrClosed
	}
	ch := g.pending
	if ch == nil {
		ch = make(chan readResult, 1)
		g.pending = ch
		go func() {
			// The driver's read ignores contexts; it gets one that never ends, so that a
			// read kept across calls is not cut short by the first caller's.
			f, err := g.src.Read(context.WithoutCancel(ctx))
			ch <- readResult{f, err}
		}()
	}
	g.mu.Unlock()

	t := time.NewTimer(g.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		g.mu.Lock()
		g.pending = nil
		g.mu.Unlock()
		if r.err == nil && g.stats != nil {
			g.stats.Stalled.Store(false)
		}
		return r.f, r.err
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case <-t.C:
		g.stats.stalled()
		return Frame{}, fmt.Errorf("%w: no frame from %s for %v", ErrStalled, g.src.Name(), g.timeout)
	}
}

// Close closes the source at once if no read is in flight, or else as soon as the
// abandoned read returns. It never blocks.
func (g *StallGuard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	ch := g.pending
	g.pending = nil
	if ch == nil {
		return g.src.Close()
	}
	if g.stats != nil {
		g.stats.Abandoned.Add(1)
	}
	go func() {
		<-ch
		g.src.Close()
		if g.stats != nil {
			g.stats.Abandoned.Add(-1)
		}
	}()
	return nil
}

// OpenGuarded calls open, giving up after timeout with an ErrStalled error (OpenCV's
// open of a stream that accepts the connection but sends nothing blocks too). A source
// that opens after the give-up is closed. The opened source is wrapped in a StallGuard
// with the same timeout.
func OpenGuarded(ctx context.Context, name string, open func(context.Context) (Source, error), timeout time.Duration, stats *StallStats) (Source, error) {
	if timeout <= 0 {
		timeout = DefaultStallTimeout
	}
	type result struct {
		src Source
		err error
	}
	ch := make(chan result, 1)
	go func() {
		src, err := open(context.WithoutCancel(ctx))
		ch <- result{src, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	abandon := func() {
		if stats != nil {
			stats.Abandoned.Add(1)
		}
		go func() {
			if r := <-ch; r.src != nil {
				r.src.Close()
			}
			if stats != nil {
				stats.Abandoned.Add(-1)
			}
		}()
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return NewStallGuard(r.src, timeout, stats), nil
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	case <-t.C:
		stats.stalled()
		abandon()
		return nil, fmt.Errorf("%w: opening %s took over %v", ErrStalled, name, timeout)
	}
}
