package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flakyOpener opens countingSources; the first `badOpens` opens fail and the first
// `badReads` opened sources fail on their first read, as a camera does while it boots.
type flakyOpener struct {
	badOpens, badReads int
	frames             uint64 // frames each opened source gives before io.EOF (0: endless)

	mu      sync.Mutex
	opens   int
	sources []*countingSource
}

func (o *flakyOpener) open(ctx context.Context) (Source, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opens++
	if o.opens <= o.badOpens {
		return nil, fmt.Errorf("open /dev/video9: attempt %d: %w", o.opens, errUnplugged)
	}
	s := &countingSource{frames: o.frames, broken: len(o.sources) < o.badReads}
	o.sources = append(o.sources, s)
	return s, nil
}

func TestReopeningRecovers(t *testing.T) {
	tests := []struct {
		name               string
		badOpens, badReads int
	}{
		{"open fails twice", 2, 0},
		{"read fails twice", 0, 2},
		{"one of each", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &flakyOpener{badOpens: tc.badOpens, badReads: tc.badReads}
			r, err := NewReopening(ReopenConfig{Name: "cam", Open: o.open, MinBackoff: 20 * time.Millisecond, MaxBackoff: time.Second})
			require.NoError(t, err)
			start := time.Now()
			for i := 1; i <= 3; i++ {
				f, err := r.Read(context.Background())
				require.NoError(t, err)
				require.Equal(t, uint64(i), f.Seq)
			}
			// Two failures: waits of 20 ms, then 40 ms.
			require.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
			st := r.Stats()
			require.Equal(t, uint64(2), st.Failures)
			require.Equal(t, uint64(3), st.Frames)
			require.Equal(t, uint64(1+tc.badReads), st.Opens)
			require.ErrorIs(t, st.LastError, errUnplugged)
			require.ErrorContains(t, st.LastError, "camera cam")
			for _, s := range o.sources[:len(o.sources)-1] {
				require.True(t, s.isClosed(), "a failed source is closed")
			}
			require.NoError(t, r.Close())
			require.True(t, o.sources[len(o.sources)-1].isClosed())
			_, err = r.Read(context.Background())
			require.ErrorIs(t, err, ErrClosed)
		})
	}
}

func TestReopeningOnEnd(t *testing.T) {
	read := func(t *testing.T, r *Reopening, n int) (seqs []uint64, err error) {
		for i := 0; i < n; i++ {
			f, err := r.Read(context.Background())
			if err != nil {
				return seqs, err
			}
			seqs = append(seqs, f.Seq)
		}
		return seqs, nil
	}
	t.Run("stop", func(t *testing.T) {
		o := &flakyOpener{frames: 3}
		r, err := NewReopening(ReopenConfig{Open: o.open})
		require.NoError(t, err)
		seqs, err := read(t, r, 10)
		require.ErrorIs(t, err, io.EOF)
		require.Equal(t, []uint64{1, 2, 3}, seqs)
		_, err = r.Read(context.Background())
		require.ErrorIs(t, err, io.EOF, "it stays ended")
		require.Equal(t, "counting", r.Name())
	})
	t.Run("loop", func(t *testing.T) {
		o := &flakyOpener{frames: 3}
		r, err := NewReopening(ReopenConfig{Open: o.open, OnEnd: EndLoop, MinBackoff: time.Hour, MaxBackoff: time.Hour})
		require.NoError(t, err)
		seqs, err := read(t, r, 7)
		require.NoError(t, err, "looping waits no backoff")
		require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, seqs)
		require.Equal(t, uint64(3), r.Stats().Opens)
		require.Zero(t, r.Stats().Failures)
	})
	t.Run("reopen", func(t *testing.T) {
		o := &flakyOpener{frames: 2}
		r, err := NewReopening(ReopenConfig{Open: o.open, OnEnd: EndReopen, MinBackoff: 30 * time.Millisecond, MaxBackoff: time.Second})
		require.NoError(t, err)
		start := time.Now()
		seqs, err := read(t, r, 4)
		require.NoError(t, err)
		require.Equal(t, []uint64{1, 2, 3, 4}, seqs)
		require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "an end is a failure: backoff")
		require.Equal(t, uint64(1), r.Stats().Failures)
		require.ErrorIs(t, r.Stats().LastError, io.EOF)
	})
}

func TestReopeningGivesUp(t *testing.T) {
	o := &flakyOpener{badOpens: 100}
	r, err := NewReopening(ReopenConfig{Name: "rtsp://cam", Open: o.open, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxFailures: 5})
	require.NoError(t, err)
	_, err = r.Read(context.Background())
	require.ErrorIs(t, err, errUnplugged)
	require.ErrorContains(t, err, "giving up after 5")
	require.ErrorContains(t, err, "rtsp://cam")
	require.Equal(t, 5, o.opens)
	_, err2 := r.Read(context.Background())
	require.Equal(t, err, err2, "it stays given up")
}

func TestReopeningBackoffHonoursContext(t *testing.T) {
	o := &flakyOpener{badOpens: 100}
	r, err := NewReopening(ReopenConfig{Open: o.open, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = r.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, 1, o.opens, "one failed open, then the backoff was cut short")
}

func TestReopeningLoopOfEmptySourceBacksOff(t *testing.T) {
	// A looped file that yields nothing must not spin: it counts as a failure.
	opens := 0
	r, err := NewReopening(ReopenConfig{
		Open: func(ctx context.Context) (Source, error) {
			opens++
			s := &countingSource{frames: 1}
			s.seq = 1 // already at its end
			return s, nil
		},
		OnEnd: EndLoop, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 3,
	})
	require.NoError(t, err)
	_, err = r.Read(context.Background())
	require.ErrorIs(t, err, io.EOF)
	require.ErrorContains(t, err, "giving up after 3")
	require.Equal(t, 3, opens)
}

func TestReopeningConfigErrors(t *testing.T) {
	open := func(context.Context) (Source, error) { return nil, errors.New("x") }
	for _, cfg := range []ReopenConfig{
		{},
		{Open: open, OnEnd: "rewind"},
		{Open: open, MinBackoff: time.Second, MaxBackoff: time.Millisecond},
		{Open: open, MaxFailures: -1},
	} {
		_, err := NewReopening(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}
