package camera

import (
	"context"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hangingSource gives frames until told to hang; a hung Read blocks until released,
// ignoring its context, as OpenCV's read of a stalled stream does.
type hangingSource struct {
	mu      sync.Mutex
	hang    chan struct{} // non-nil: reads block until it is closed
	closed  bool
	seq     uint64
	entered chan struct{}
}

func (s *hangingSource) Name() string { return "hanging" }

func (s *hangingSource) Read(context.Context) (Frame, error) {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang != nil {
		<-hang
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Frame{}, ErrClosed
	}
	s.seq++
	return Frame{Image: image.NewRGBA(image.Rect(0, 0, 2, 2)), Time: time.Now(), Seq: s.seq}, nil
}

func (s *hangingSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *hangingSource) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func TestStallGuardGivesUpAndClosesLater(t *testing.T) {
	src := &hangingSource{}
	var stats StallStats
	g := NewStallGuard(src, 100*time.Millisecond, &stats)
	_, err := g.Read(context.Background())
	require.NoError(t, err)

	release := make(chan struct{})
	src.mu.Lock()
	src.hang = release
	src.mu.Unlock()
	start := time.Now()
	_, err = g.Read(context.Background())
	require.ErrorIs(t, err, ErrStalled)
	t.Logf("stall reported after %v (timeout 100ms)", time.Since(start))
	require.True(t, stats.Stalled.Load())
	require.EqualValues(t, 1, stats.Stalls.Load())

	require.NoError(t, g.Close(), "Close does not wait for the hung read")
	require.False(t, src.isClosed(), "the source stays open under its hung read")
	require.EqualValues(t, 1, stats.Abandoned.Load())
	close(release)
	require.Eventually(t, src.isClosed, 5*time.Second, 5*time.Millisecond, "closed once the read returned")
	require.Eventually(t, func() bool { return stats.Abandoned.Load() == 0 }, 5*time.Second, 5*time.Millisecond)
	_, err = g.Read(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

// A read cut short by the context is not lost: the next Read gets its frame.
func TestStallGuardKeepsReadAcrossCancel(t *testing.T) {
	release := make(chan struct{})
	src := &hangingSource{hang: release}
	g := NewStallGuard(src, time.Minute, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := g.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	f, err := g.Read(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, f.Seq, "the first read's frame")
	require.NoError(t, g.Close())
	require.True(t, src.isClosed())
}

// Behind a Reopening, a stalled source is replaced by a fresh one and frames go on;
// an open that hangs is given up too.
func TestStalledSourceReopened(t *testing.T) {
	var stats StallStats
	var mu sync.Mutex
	var opened []*hangingSource
	hangOpen := make(chan struct{})
	r, err := NewReopening(ReopenConfig{Name: "cam", OnEnd: EndReopen, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Open: func(ctx context.Context) (Source, error) {
			return OpenGuarded(ctx, "cam", func(context.Context) (Source, error) {
				mu.Lock()
				n := len(opened)
				mu.Unlock()
				if n == 1 {
					<-hangOpen // the second open hangs until released
				}
				s := &hangingSource{}
				mu.Lock()
				opened = append(opened, s)
				mu.Unlock()
				return s, nil
			}, 50*time.Millisecond, &stats)
		}})
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Read(context.Background())
	require.NoError(t, err)
	mu.Lock()
	first := opened[0]
	mu.Unlock()
	first.mu.Lock()
	first.hang = make(chan struct{}) // never released: the driver's read hangs for good
	first.mu.Unlock()
	go func() { time.Sleep(300 * time.Millisecond); close(hangOpen) }()
	start := time.Now()
	f, err := r.Read(context.Background())
	require.NoError(t, err)
	t.Logf("a frame from a fresh source %v after the stall (read and open timeouts 50ms)", time.Since(start))
	require.EqualValues(t, 2, f.Seq)
	require.GreaterOrEqual(t, stats.Stalls.Load(), uint64(2), "the read and at least one open stalled")
	require.False(t, stats.Stalled.Load())
	require.GreaterOrEqual(t, r.Stats().Opens, uint64(2))
	require.True(t, errors.Is(r.Stats().LastError, ErrStalled))
}
