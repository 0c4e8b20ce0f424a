package voice

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// SpeakerConfig puts an engine and a sink under the speaking policy.
type SpeakerConfig struct {
	Engine Engine
	Sink   Sink
	// MaxAge drops a caption whose frame is older than this when its turn comes (default 4s).
	MaxAge time.Duration
	Logger *slog.Logger
}

// Stats are what the MQTT status reports about speech.
type Stats struct {
	Spoken, Interrupted, Repeats, Stale, Failures uint64
	Last                                          string
}

// Speaker speaks captions, answers and errors under the policy:
//   - one voice: utterances are spoken one after another by one goroutine;
//   - an answer interrupts a caption being spoken, and goes before any caption waiting;
//   - only the newest waiting caption is kept; it is dropped when its frame is older
//     than MaxAge by the time it would be spoken, or when it says what the last spoken
//     caption said;
//   - an error is spoken once; the same error again stays silent.
type Speaker struct {
	cfg  SpeakerConfig
	wake chan struct{}

	mu        sync.Mutex
	answers   []string
	caption   *pending
	errors    []string
	saidError map[string]bool
	lastCap   string
	cancelCap context.CancelFunc // cancels the caption being spoken, if any
	stats     Stats
}

type pending struct {
	text  string
	frame time.Time
}

// NewSpeaker starts the speaking goroutine; it stops with ctx.
func NewSpeaker(ctx context.Context, cfg SpeakerConfig) (*Speaker, error) {
	if cfg.Engine == nil || cfg.Sink == nil {
		return nil, errors.New("speaker needs an engine and a sink")
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 4 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Speaker{cfg: cfg, wake: make(chan struct{}, 1), saidError: map[string]bool{}}
	go s.loop(ctx)
	return s, nil
}

func (s *Speaker) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Caption offers a caption of a frame taken at frame.
func (s *Speaker) Caption(text string, frame time.Time) {
	s.mu.Lock()
	s.caption = &pending{text: text, frame: frame}
	s.mu.Unlock()
	s.poke()
}

// Answer queues an answer and cuts off a caption being spoken.
func (s *Speaker) Answer(text string) {
	s.mu.Lock()
	s.answers = append(s.answers, text)
	if s.cancelCap != nil {
		s.cancelCap()
	}
	s.mu.Unlock()
	s.poke()
}

// Error speaks msg once; later calls with the same msg are silent.
func (s *Speaker) Error(msg string) {
	s.mu.Lock()
	if !s.saidError[msg] {
		s.saidError[msg] = true
		s.errors = append(s.errors, msg)
	}
	s.mu.Unlock()
	s.poke()
}

// Stats is a snapshot of the counters.
func (s *Speaker) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func norm(t string) string { return strings.Join(strings.Fields(strings.ToLower(t)), " ") }

// next picks what to say: answers first, then errors, then the waiting caption.
func (s *Speaker) next(ctx context.Context) (text, kind string, playCtx context.Context, done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(s.answers) > 0:
		text, s.answers = s.answers[0], s.answers[1:]
		return text, "answer", ctx, func() {}
	case len(s.errors) > 0:
		text, s.errors = s.errors[0], s.errors[1:]
		return text, "error", ctx, func() {}
	case s.caption != nil:
		c := s.caption
		s.caption = nil
		if age := time.Since(c.frame); age > s.cfg.MaxAge {
			s.stats.Stale++
			s.cfg.Logger.Info("speech: stale caption dropped", "text", c.text, "age", age)
			return "", "", nil, nil
		}
		if norm(c.text) == s.lastCap {
			s.stats.Repeats++
			return "", "", nil, nil
		}
		s.lastCap = norm(c.text)
		pc, cancel := context.WithCancel(ctx)
		s.cancelCap = cancel
		return c.text, "caption", pc, func() {
			s.mu.Lock()
			s.cancelCap = nil
			s.mu.Unlock()
			cancel()
		}
	}
	return "", "", nil, nil
}

func (s *Speaker) loop(ctx context.Context) {
	for {
		text, kind, pc, done := s.next(ctx)
		if pc == nil {
			if kind == "" && s.idle() {
				select {
				case <-ctx.Done():
					return
				case <-s.wake:
				}
			}
			continue
		}
		err := s.say(pc, text, kind)
		done()
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		switch {
		case err == nil:
			s.stats.Spoken++
			s.stats.Last = text
		case errors.Is(err, context.Canceled):
			s.stats.Interrupted++
			s.stats.Last = text
		default:
			s.stats.Failures++
			s.cfg.Logger.Warn("speech", "err", err)
		}
		s.mu.Unlock()
	}
}

func (s *Speaker) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.answers) == 0 && len(s.errors) == 0 && s.caption == nil
}

func (s *Speaker) say(ctx context.Context, text, kind string) error {
	wav, err := s.cfg.Engine.Synthesize(ctx, text)
	if err != nil {
		return err
	}
	return s.cfg.Sink.Play(ctx, wav, kind, text)
}
