package tests

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/camera/gocvsrc"
)

// Opening and closing a stream over and over, as stalls and reconnects do (each open on
// a new goroutine, so on whichever thread it lands, every fourth capture given up by the
// stall guard in a read and closed once the read returns), leaves no memory behind: the
// process's anonymous resident memory after the cycles is within 16 MB of where it stood
// after the first few. A capture, decoder or frame left unreleased costs MBs an open.
func TestStreamReopensKeepMemoryFlat(t *testing.T) {
	s := startStream(t, randomScenes(9, 1), 10, 20)
	ctx := context.Background()
	stats := &camera.StallStats{}
	frames := 0
	cycle := func(i int) {
		opened := make(chan camera.Source, 1)
		go func() { // as OpenGuarded opens: on a new goroutine
			src, err := gocvsrc.Open(s.url(), gocvsrc.Options{BufferSize: 1})
			if err != nil {
				t.Errorf("open %d: %v", i, err)
			}
			opened <- src
		}()
		src := <-opened
		if src == nil {
			return
		}
		g := camera.NewStallGuard(src, 1500*time.Millisecond, stats)
		for range 3 {
			if _, err := g.Read(ctx); err == nil {
				frames++
			}
		}
		if i%4 == 3 {
			s.stall(true)
			_, err := g.Read(ctx)
			require.ErrorIs(t, err, camera.ErrStalled)
			g.Close() // the capture closes when the abandoned read returns
			s.stall(false)
		} else {
			require.NoError(t, g.Close())
		}
	}
	anonKB := func() int64 {
		for end := time.Now().Add(10 * time.Second); stats.Abandoned.Load() > 0 && time.Now().Before(end); {
			time.Sleep(50 * time.Millisecond)
		}
		require.Zero(t, stats.Abandoned.Load(), "abandoned reads still blocked")
		runtime.GC()
		debug.FreeOSMemory() // Go's own garbage out of the figure
		sm, err := residentKB(os.Getpid())
		require.NoError(t, err)
		return sm.anon
	}
	const warm, cycles = 8, 32
	for i := range warm {
		cycle(i)
	}
	base := anonKB()
	for i := warm; i < warm+cycles; i++ {
		cycle(i)
		if (i+1)%8 == 0 {
			t.Logf("after %d opens: anonymous resident %.1f MB (%+.1f MB)", i+1, float64(anonKB())/1024, float64(anonKB()-base)/1024)
		}
	}
	end := anonKB()
	t.Logf("%d opens, %d stalls, %d frames: anonymous resident %.1f MB after %d opens, %.1f MB after %d",
		warm+cycles, stats.Stalls.Load(), frames, float64(base)/1024, warm, float64(end)/1024, warm+cycles)
	require.Positive(t, frames, "no frame read")
	require.Less(t, end-base, int64(16<<10), "anonymous resident memory (kB) grew over %d opens", cycles)
}
