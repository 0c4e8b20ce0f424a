package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// OnEnd says what a Reopening source does when the source it wraps ends (io.EOF).
type OnEnd string

const (
	// EndStop ends the run cleanly: Read gives io.EOF.
	EndStop OnEnd = "stop"
	// EndReopen treats the end as a failure: the source is reopened after a backoff
	// (a network stream that dropped).
	EndReopen OnEnd = "reopen"
	// EndLoop reopens the source at once (a video file played in a loop).
	EndLoop OnEnd = "loop"
)

// ReopenConfig configures a Reopening source.
type ReopenConfig struct {
	// Name names the source in errors and logs; defaults to the first opened source's name.
	Name string
	// Open opens the source afresh. It is called for the first frame and after each failure.
	Open func(ctx context.Context) (Source, error)
	// OnEnd is what to do when the source ends; default EndStop.
	OnEnd OnEnd
	// MinBackoff is the wait before the first reopen after a failure (default 100 ms);
	// each further consecutive failure doubles it, up to MaxBackoff (default 10 s).
	MinBackoff, MaxBackoff time.Duration
	// MaxFailures gives up after that many consecutive failures (failed opens or reads),
	// returning the last error; 0 never gives up.
	MaxFailures int
}

// ReopenStats counts what a Reopening source went through.
type ReopenStats struct {
	Frames    uint64 // frames given
	Opens     uint64 // successful opens
	Failures  uint64 // failed opens and reads, in all
	LastError error  // the latest failure, nil if none
}

// Reopening reads a source and reopens it when it fails, with exponential backoff.
// It numbers frames itself, so Seq keeps rising across reopenings.
type Reopening struct {
	cfg ReopenConfig

	mu          sync.Mutex
	cur         Source
	name        string
	backoff     time.Duration // wait before the next open; 0 opens at once
	consecutive int           // failures since the last good frame
	framesSince uint64        // frames since the current source was opened
	endErr      error         // set once the source has ended for good: io.EOF or the give-up error
	closed      bool
	stats       ReopenStats
}

// NewReopening checks the configuration; the source is first opened by the first Read.
func NewReopening(cfg ReopenConfig) (*Reopening, error) {
	if cfg.Open == nil {
		return nil, fmt.Errorf("camera: reopening %q: no Open function", cfg.Name)
	}
	switch cfg.OnEnd {
	case "":
		cfg.OnEnd = EndStop
	case EndStop, EndReopen, EndLoop:
	default:
		return nil, fmt.Errorf("camera: reopening %q: OnEnd %q: want stop, reopen or loop", cfg.Name, cfg.OnEnd)
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.MinBackoff < 0 || cfg.MaxBackoff < cfg.MinBackoff {
		return nil, fmt.Errorf("camera: reopening %q: backoff %v..%v: want 0 < min <= max", cfg.Name, cfg.MinBackoff, cfg.MaxBackoff)
	}
	if cfg.MaxFailures < 0 {
		return nil, fmt.Errorf("camera: reopening %q: MaxFailures %d must not be negative", cfg.Name, cfg.MaxFailures)
	}
	return &Reopening{cfg: cfg, name: cfg.Name}, nil
}

// Name is the configured name, or else the wrapped source's.
func (r *Reopening) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.name
}

// Stats reports frames, opens and failures so far.
func (r *Reopening) Stats() ReopenStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Read gives the next frame, reopening the source as often as the configuration allows.
// It returns the context's error when ctx ends (also during a backoff), io.EOF when the
// source ended under EndStop, and the last failure once MaxFailures is reached.
func (r *Reopening) Read(ctx context.Context) (Frame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		src, terminal, err := r.current(ctx)
		if terminal != nil {
			return Frame{}, terminal
		}
		if err != nil {
			if ctx.Err() != nil {
				return Frame{}, ctx.Err()
			}
			if gaveUp := r.fail(fmt.Errorf("open: %w", err)); gaveUp != nil {
				return Frame{}, gaveUp
			}
			continue
		}
		f, err := src.Read(ctx)
		if err == nil {
			return r.good(f), nil
		}
		if ctx.Err() != nil {
			// Cancellation is not the source's fault: keep it open.
			return Frame{}, ctx.Err()
		}
		if end, err := r.handleReadError(src, err); end {
			return Frame{}, err
		}
	}
}

// current gives the open source, opening it (after the backoff) when there is none.
// A terminal error ends Read as it is (closed, ended, context); err is a failed open.
func (r *Reopening) current(ctx context.Context) (src Source, terminal, err error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed, nil
	}
	if r.endErr != nil {
		r.mu.Unlock()
		return nil, r.endErr, nil
	}
	if r.cur != nil {
		defer r.mu.Unlock()
		return r.cur, nil, nil
	}
	wait := r.backoff
	r.mu.Unlock()

	if err := sleepUntil(ctx, time.Now().Add(wait)); err != nil {
		return nil, err, nil
	}
	src, err = r.cfg.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if src == nil {
		return nil, nil, errors.New("Open returned no source")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		src.Close()
		return nil, ErrClosed, nil
	}
	r.cur = src
	r.framesSince = 0
	r.stats.Opens++
	if r.name == "" {
		r.name = src.Name()
	}
	return src, nil, nil
}

func (r *Reopening) good(f Frame) Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.consecutive = 0
	r.backoff = 0
	r.framesSince++
	r.stats.Frames++
	f.Seq = r.stats.Frames
	return f
}

// handleReadError drops the failed source and says whether Read should return err.
func (r *Reopening) handleReadError(src Source, err error) (bool, error) {
	r.mu.Lock()
	if r.cur == src {
		r.cur = nil
	}
	gotFrames := r.framesSince > 0
	r.mu.Unlock()
	src.Close()

	switch {
	case errors.Is(err, ErrClosed):
		return true, ErrClosed
	case errors.Is(err, io.EOF) && r.cfg.OnEnd == EndStop:
		r.mu.Lock()
		r.endErr = io.EOF
		r.mu.Unlock()
		return true, io.EOF
	case errors.Is(err, io.EOF) && r.cfg.OnEnd == EndLoop && gotFrames:
		return false, nil // start over at once
	}
	// A failure, an end under EndReopen, or a looped source that ended without a single
	// frame (looping that at once would spin).
	if gaveUp := r.fail(fmt.Errorf("read: %w", err)); gaveUp != nil {
		return true, gaveUp
	}
	return false, nil
}

// fail records a failure, sets the next backoff, and returns an error once it gives up.
func (r *Reopening) fail(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := r.name
	if name == "" {
		name = "(not opened yet)"
	}
	err = fmt.Errorf("camera %s: %w", name, err)
	r.stats.Failures++
	r.stats.LastError = err
	r.consecutive++
	if r.cfg.MaxFailures > 0 && r.consecutive >= r.cfg.MaxFailures {
		r.endErr = fmt.Errorf("giving up after %d failures in a row: %w", r.consecutive, err)
		return r.endErr
	}
	switch {
	case r.backoff == 0:
		r.backoff = r.cfg.MinBackoff
	case r.backoff < r.cfg.MaxBackoff:
		r.backoff = min(2*r.backoff, r.cfg.MaxBackoff)
	}
	return nil
}

// Close closes the current source; later Reads give ErrClosed.
func (r *Reopening) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.cur == nil {
		return nil
	}
	err := r.cur.Close()
	r.cur = nil
	return err
}
