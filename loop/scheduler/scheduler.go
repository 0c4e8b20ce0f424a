// Package scheduler decides which camera frames get described. The camera is read in its
// own goroutine and only the latest frame is kept, so a slow model never stalls the camera
// nor builds a queue: frames that arrive while the model works are superseded, not stored.
//
// Its room in docs/architecture.md: loop: imports only camera.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/edgevlm/edge/camera"
)

// Mode says when frames are described.
type Mode string

const (
	// ModeInterval describes the latest frame every Interval (the first one at once).
	ModeInterval Mode = "interval"
	// ModeChange describes a frame when it differs from the last described one by more
	// than ChangeThreshold (and the first frame).
	ModeChange Mode = "change"
	// ModeTrigger describes only when Trigger is called.
	ModeTrigger Mode = "trigger"
	// ModeContinuous describes frame after frame, as fast as describe returns.
	ModeContinuous Mode = "continuous"
)

// Defaults for the zero values of Config.
const (
	DefaultMode            = ModeInterval
	DefaultInterval        = 5 * time.Second
	DefaultChangeThreshold = 2.0
)

// Config configures a Scheduler. Zero values take the defaults above.
type Config struct {
	Mode Mode
	// Interval is the time between descriptions in ModeInterval, from the start of one to
	// the start of the next (a describe that takes longer is followed at once).
	Interval time.Duration
	// ChangeThreshold is, in ModeChange, the mean absolute difference of the 32×32 gray
	// thumbnails (0..255) of a frame and the last described one that counts as a change.
	// Noise of σ 6 per channel on a 224² frame gives about 0.65; two random synthetic
	// scenes differ by more than 2 in 99.5 % of pairs (median 100), a shape moved by 18 px
	// gives about 2.5.
	ChangeThreshold float64
	// MaxFPS caps descriptions per second in ModeContinuous and ModeChange (0: no cap).
	// Trigger is not capped.
	MaxFPS float64
}

// Describe does the work on one frame (caption, answer, publish). It runs in the
// scheduler's goroutine, one at a time, and should return soon after ctx ends.
type Describe func(ctx context.Context, f camera.Frame) error

// Stats counts what happened to the frames. Every frame read is described, skipped or
// passed, except the latest one while it waits.
type Stats struct {
	Read      uint64 // frames read from the source
	Described uint64 // frames handed to describe
	Skipped   uint64 // frames superseded by a newer one before they were looked at
	Passed    uint64 // frames looked at and let go: unchanged (ModeChange)
	Triggers  uint64 // Trigger calls

	DescribeErrors    uint64
	LastDescribedSeq  uint64 // Seq of the latest frame handed to describe
	LastDescribeError error
	LastSourceError   error // the error that ended reading (nil for a clean end)
}

// Scheduler feeds frames from a source to a describe function.
type Scheduler struct {
	cfg      Config
	src      camera.Source
	describe Describe

	newFrame chan struct{} // a frame was stored in latest (capacity 1: coalesces)
	trigger  chan struct{} // Trigger was called (capacity 1: coalesces)

	mu         sync.Mutex
	latest     *camera.Frame // the newest frame not yet taken; the only one kept
	readerDone bool
	started    bool
	stats      Stats
}

// New checks the configuration and makes a Scheduler; Run starts it. The scheduler does
// not close src: its owner does, after Run returns.
func New(cfg Config, src camera.Source, describe Describe) (*Scheduler, error) {
	if src == nil {
		return nil, errors.New("scheduler: nil source")
	}
	if describe == nil {
		return nil, fmt.Errorf("scheduler for %s: nil describe function", src.Name())
	}
	if cfg.Mode == "" {
		cfg.Mode = DefaultMode
	}
	switch cfg.Mode {
	case ModeInterval, ModeChange, ModeTrigger, ModeContinuous:
	default:
		return nil, fmt.Errorf("scheduler for %s: mode %q: want interval, change, trigger or continuous", src.Name(), cfg.Mode)
	}
	if cfg.Interval < 0 || cfg.ChangeThreshold < 0 || cfg.MaxFPS < 0 {
		return nil, fmt.Errorf("scheduler for %s: interval %v, change threshold %v and max FPS %v must not be negative",
			src.Name(), cfg.Interval, cfg.ChangeThreshold, cfg.MaxFPS)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.ChangeThreshold == 0 {
		cfg.ChangeThreshold = DefaultChangeThreshold
	}
	return &Scheduler{
		cfg:      cfg,
		src:      src,
		describe: describe,
		newFrame: make(chan struct{}, 1),
		trigger:  make(chan struct{}, 1),
	}, nil
}

// Config is the configuration in use, defaults filled in.
func (s *Scheduler) Config() Config { return s.cfg }

// Trigger asks for a description of the latest frame (or the next one, when the latest
// has been described already), in any mode. Calls while one is pending coalesce.
func (s *Scheduler) Trigger() {
	s.mu.Lock()
	s.stats.Triggers++
	s.mu.Unlock()
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// Stats is a snapshot of the counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run reads the source and describes frames until ctx ends (it returns ctx's error) or the
// source ends (nil for io.EOF, the source's error otherwise). Describe errors are counted
// in Stats, not returned. Run may be called once; it leaves no goroutine behind.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("scheduler: Run called twice")
	}
	s.started = true
	s.mu.Unlock()

	readCtx, stopReading := context.WithCancel(ctx)
	readerExited := make(chan struct{})
	go func() {
		defer close(readerExited)
		s.read(readCtx)
	}()
	defer func() {
		stopReading()
		<-readerExited
	}()

	err := s.loop(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// read is the reader goroutine: it stores each frame as the latest, superseding the last.
func (s *Scheduler) read(ctx context.Context) {
	for {
		f, err := s.src.Read(ctx)
		s.mu.Lock()
		if err != nil {
			s.readerDone = true
			if ctx.Err() == nil && !errors.Is(err, io.EOF) {
				s.stats.LastSourceError = err
			}
			s.mu.Unlock()
			s.signal()
			return
		}
		s.stats.Read++
		if s.latest != nil {
			s.stats.Skipped++
		}
		s.latest = &f
		s.mu.Unlock()
		s.signal()
	}
}

func (s *Scheduler) signal() {
	select {
	case s.newFrame <- struct{}{}:
	default:
	}
}
