package camera

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPacedCapsTheRate(t *testing.T) {
	tests := []struct {
		name string
		drop bool
	}{{"wait", false}, {"drop", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := &countingSource{every: 2 * time.Millisecond}
			p, err := NewPaced(inner, PacedConfig{MaxFPS: 50, Drop: tc.drop})
			require.NoError(t, err)
			start := time.Now()
			const n = 16
			for i := 0; i < n; i++ {
				_, err := p.Read(context.Background())
				require.NoError(t, err)
			}
			elapsed := time.Since(start)
			st := p.Stats()
			t.Logf("%s: %d frames in %v, FPS %.1f, source FPS %.1f, dropped %d", tc.name, n, elapsed, st.FPS, st.SourceFPS, st.Dropped)
			// 16 frames at 50 fps: 15 intervals of 20 ms at least.
			require.GreaterOrEqual(t, elapsed, 15*20*time.Millisecond-5*time.Millisecond)
			require.Equal(t, uint64(n), st.Frames)
			require.LessOrEqual(t, st.FPS, 51.0)
			require.Greater(t, st.FPS, 30.0)
			if tc.drop {
				require.Greater(t, st.Dropped, uint64(n), "early frames are read and dropped")
				require.Greater(t, st.SourceFPS, st.FPS)
			} else {
				require.Zero(t, st.Dropped)
			}
			require.NoError(t, p.Close())
			require.True(t, inner.isClosed())
		})
	}
}

func TestPacedMeasuresWithoutCap(t *testing.T) {
	inner := &countingSource{every: 10 * time.Millisecond}
	p, err := NewPaced(inner, PacedConfig{})
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		_, err := p.Read(context.Background())
		require.NoError(t, err)
	}
	fps := p.Stats().FPS
	require.LessOrEqual(t, fps, 101.0)
	require.Greater(t, fps, 20.0)
	_, err = NewPaced(inner, PacedConfig{MaxFPS: -1})
	require.Error(t, err)
}

func TestPacedWaitHonoursContext(t *testing.T) {
	p, err := NewPaced(&countingSource{}, PacedConfig{MaxFPS: 0.1})
	require.NoError(t, err)
	_, err = p.Read(context.Background()) // the first frame comes at once
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
}
