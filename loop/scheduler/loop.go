package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/edgevlm/edge/camera"
)

// loopState is what the describing loop remembers between frames.
type loopState struct {
	triggered bool
	lastStart time.Time // when the last description started (zero: none yet)
	ref       *Thumb    // thumbnail of the last described frame (ModeChange)
}

// loop runs in Run's goroutine: it wakes on frames, triggers and timers, and describes
// when the mode says so.
func (s *Scheduler) loop(ctx context.Context) error {
	var st loopState
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		wait, done, err := s.step(ctx, &st)
		if done {
			return err
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.newFrame:
		case <-s.trigger:
			st.triggered = true
		case <-timer.C:
		}
		timer.Stop() // Go 1.23+ timers: no stale tick survives Stop
	}
}

// verdict is what the mode says about the pending frame.
type verdict int

const (
	hold     verdict = iota // keep it: wait for a trigger, a timer or a newer frame
	describe                // describe it now
	pass                    // let it go unseen (unchanged)
)

// step describes the pending frame if the mode says so, as often as it can without
// waiting. It returns how long to wait for a timer (0: only for events), or done when the
// source has ended and nothing more will be described.
func (s *Scheduler) step(ctx context.Context, st *loopState) (wait time.Duration, done bool, err error) {
	for {
		if ctx.Err() != nil {
			return 0, true, ctx.Err()
		}
		// A trigger that came while describing is seen here.
		select {
		case <-s.trigger:
			st.triggered = true
		default:
		}
		s.mu.Lock()
		pending, ended := s.latest, s.readerDone
		srcErr := s.stats.LastSourceError
		s.mu.Unlock()
		if pending == nil {
			if ended {
				return 0, true, sourceError(s.src, srcErr)
			}
			return 0, false, nil
		}
		v, wait, thumb := s.decide(pending, st)
		switch v {
		case hold:
			// Once the source is over, only a rate cap is worth waiting out; an interval
			// or a trigger that may never come is not.
			if ended && (wait == 0 || s.cfg.Mode == ModeInterval) {
				return 0, true, sourceError(s.src, srcErr)
			}
			return wait, false, nil
		case pass:
			s.take(pending.Seq, false)
			continue
		}
		if !s.take(pending.Seq, true) {
			continue // superseded while deciding: decide again on the newer frame
		}
		st.triggered = false
		st.lastStart = time.Now()
		if thumb != nil {
			st.ref = thumb
		}
		derr := s.describe(ctx, *pending)
		s.mu.Lock()
		if derr != nil && ctx.Err() == nil {
			s.stats.DescribeErrors++
			s.stats.LastDescribeError = fmt.Errorf("describe frame %d of %s: %w", pending.Seq, s.src.Name(), derr)
		}
		s.mu.Unlock()
	}
}

// decide says what to do with frame f now; for hold, how long until it might change
// (0: not until something happens). In ModeChange it gives the frame's thumbnail.
func (s *Scheduler) decide(f *camera.Frame, st *loopState) (verdict, time.Duration, *Thumb) {
	var thumb *Thumb
	if s.cfg.Mode == ModeChange {
		t := NewThumb(f.Image)
		thumb = &t
	}
	if st.triggered {
		return describe, 0, thumb
	}
	since := time.Since(st.lastStart)
	switch s.cfg.Mode {
	case ModeInterval:
		if st.lastStart.IsZero() || since >= s.cfg.Interval {
			return describe, 0, nil
		}
		return hold, s.cfg.Interval - since, nil
	case ModeContinuous:
		v, wait := s.underCap(st, since)
		return v, wait, nil
	case ModeChange:
		if st.ref != nil && thumb.Diff(st.ref) <= s.cfg.ChangeThreshold {
			return pass, 0, nil
		}
		v, wait := s.underCap(st, since)
		return v, wait, thumb
	}
	return hold, 0, nil // ModeTrigger without a trigger
}

// underCap allows a description when MaxFPS allows one now.
func (s *Scheduler) underCap(st *loopState, since time.Duration) (verdict, time.Duration) {
	if s.cfg.MaxFPS <= 0 || st.lastStart.IsZero() {
		return describe, 0
	}
	gap := time.Duration(float64(time.Second) / s.cfg.MaxFPS)
	if since >= gap {
		return describe, 0
	}
	return hold, gap - since
}

// take removes frame seq from the slot if it is still the latest, counting it as
// described or passed. It returns false when a newer frame has replaced it.
func (s *Scheduler) take(seq uint64, described bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil || s.latest.Seq != seq {
		return false
	}
	s.latest = nil
	if described {
		s.stats.Described++
		s.stats.LastDescribedSeq = seq
	} else {
		s.stats.Passed++
	}
	return true
}

func sourceError(src camera.Source, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("scheduler: source %s: %w", src.Name(), err)
}
