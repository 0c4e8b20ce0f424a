package camera

import (
	"context"
	"errors"
	"image"
	"io"
	"sync"
	"time"
)

// countingSource gives tiny frames, each after `every`, and ends after `frames` (0: never).
// It stands in for a camera whose timing the test controls.
type countingSource struct {
	every  time.Duration
	frames uint64
	broken bool // every read fails, as from a camera that was unplugged

	mu     sync.Mutex
	seq    uint64
	closed bool
}

var errUnplugged = errors.New("device unplugged")

func (s *countingSource) Name() string { return "counting" }

func (s *countingSource) Read(ctx context.Context) (Frame, error) {
	if err := sleepUntil(ctx, time.Now().Add(s.every)); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return Frame{}, ErrClosed
	case s.broken:
		return Frame{}, errUnplugged
	case s.frames > 0 && s.seq >= s.frames:
		return Frame{}, io.EOF
	}
	s.seq++
	return Frame{Image: image.NewRGBA(image.Rect(0, 0, 2, 2)), Time: time.Now(), Seq: s.seq}, nil
}

func (s *countingSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *countingSource) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
