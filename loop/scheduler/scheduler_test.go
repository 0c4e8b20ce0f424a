package scheduler

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/camera/scene"
)

// recorder is a describe function that works for `delay` (a slow model) and records what
// it was given, and how many frames had been read at that moment.
type recorder struct {
	delay time.Duration
	// outrun, when set, makes each description last until the camera has read this many
	// more frames: a model slower than the camera by construction, whatever the load.
	outrun uint64
	s      *Scheduler // set after New, before Run
	fail   error

	mu    sync.Mutex
	seqs  []uint64
	reads []uint64
}

func (r *recorder) describe(ctx context.Context, f camera.Frame) error {
	read := r.s.Stats().Read
	r.mu.Lock()
	r.seqs = append(r.seqs, f.Seq)
	r.reads = append(r.reads, read)
	r.mu.Unlock()
	for r.outrun > 0 && r.s.Stats().Read < read+r.outrun {
		select {
		case <-ctx.Done():
			return r.fail
		case <-time.After(time.Millisecond):
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(r.delay):
	}
	return r.fail
}

func (r *recorder) described() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.seqs...)
}

// synthetic is a paced synthetic camera.
func synthetic(t *testing.T, cfg camera.SyntheticConfig, fps float64) (*camera.Synthetic, camera.Source) {
	t.Helper()
	syn, err := camera.NewSynthetic(cfg)
	require.NoError(t, err)
	paced, err := camera.NewPaced(syn, camera.PacedConfig{MaxFPS: fps})
	require.NoError(t, err)
	t.Cleanup(func() { paced.Close() })
	return syn, paced
}

func newScheduler(t *testing.T, cfg Config, src camera.Source, rec *recorder) *Scheduler {
	t.Helper()
	s, err := New(cfg, src, rec.describe)
	require.NoError(t, err)
	rec.s = s
	return s
}

// checkAccounting: every frame read was described, skipped or passed, but the last one.
func checkAccounting(t *testing.T, st Stats) {
	t.Helper()
	accounted := st.Described + st.Skipped + st.Passed
	require.True(t, st.Read == accounted || st.Read == accounted+1, "%+v", st)
}

// waitGoroutines waits for the goroutine count to come back to base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines left behind")
}

// A slow model gets the newest frame each time; the frames in between are dropped, not
// queued. The model lasts until the camera has read three more frames, so the camera
// outruns it on any machine, however loaded.
func TestLatestFrameWins(t *testing.T) {
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 1, ScenePeriod: 1000, NoNoise: true}, 200)
	rec := &recorder{outrun: 3}
	s := newScheduler(t, Config{Mode: ModeContinuous}, src, rec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { // stop after eight descriptions
		for len(rec.described()) < 8 && ctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	require.ErrorIs(t, s.Run(ctx), context.Canceled)

	st := s.Stats()
	seqs := rec.described()
	t.Logf("read %d, described %d, skipped %d: described frames %v", st.Read, st.Described, st.Skipped, seqs)
	checkAccounting(t, st)
	require.Equal(t, uint64(len(seqs)), st.Described)
	require.GreaterOrEqual(t, len(seqs), 8)
	// Each description spans three reads, of which only the newest can be described next:
	// at least two frames were skipped per description but the last.
	require.GreaterOrEqual(t, st.Skipped, 2*(st.Described-1), "frames read during a description were queued, not dropped")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, seq := range seqs {
		// The frame described was the newest one read at that moment (or the one being
		// stored just then): nothing older waits in a queue.
		require.GreaterOrEqual(t, seq+1, rec.reads[i], "describe %d got frame %d of %d read", i, seq, rec.reads[i])
		if i > 0 {
			require.GreaterOrEqual(t, seq, seqs[i-1]+3, "describe %d got frame %d, not one of the three read since frame %d", i, seq, seqs[i-1])
		}
	}
}

// In change mode each new scene is described once; the noise between frames of one scene
// triggers nothing.
func TestChangeModeFiresOnSceneChanges(t *testing.T) {
	const period, scenes = 6, 6
	syn, src := synthetic(t, camera.SyntheticConfig{Seed: 5, ScenePeriod: period, Frames: period * scenes}, 60)
	rec := &recorder{delay: 15 * time.Millisecond}
	s := newScheduler(t, Config{Mode: ModeChange, ChangeThreshold: DefaultChangeThreshold}, src, rec)
	require.NoError(t, s.Run(context.Background()), "the source ended: a clean end")

	// Precondition: in this seed every scene differs from the one before by more than
	// the threshold, judged on noise-free renders of the true layouts.
	for sc := 1; sc < scenes; sc++ {
		a, _ := syn.LayoutOf(uint64(sc * period))   // last frame of scene sc-1
		b, _ := syn.LayoutOf(uint64(sc*period + 1)) // first frame of scene sc
		ta, tb := NewThumb(scene.RenderNoise(a, 224, 0, 0)), NewThumb(scene.RenderNoise(b, 224, 0, 0))
		require.Greater(t, ta.Diff(&tb), DefaultChangeThreshold+0.5, "scene %d vs %d", sc-1, sc)
	}

	st := s.Stats()
	seqs := rec.described()
	var got []uint64
	for _, seq := range seqs {
		got = append(got, syn.SceneOf(seq))
	}
	t.Logf("read %d, described %d (scenes %v), passed %d, skipped %d", st.Read, st.Described, got, st.Passed, st.Skipped)
	require.Equal(t, []uint64{0, 1, 2, 3, 4, 5}, got, "each scene once, in order")
	require.Greater(t, st.Passed, uint64(0), "noisy repeats were looked at and let go")
	require.Equal(t, uint64(period*scenes), st.Read)
	require.Equal(t, st.Read, st.Described+st.Skipped+st.Passed)
}

// In trigger mode nothing is described until Trigger; triggers during a description
// coalesce into one more.
func TestTriggerMode(t *testing.T) {
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 2, ScenePeriod: 1000}, 50)
	rec := &recorder{delay: 300 * time.Millisecond}
	s := newScheduler(t, Config{Mode: ModeTrigger}, src, rec)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()

	waitFor := func(what string, cond func(Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond(s.Stats()) {
			require.True(t, time.Now().Before(deadline), "waiting for %s: %+v", what, s.Stats())
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("frames", func(st Stats) bool { return st.Read >= 5 })
	require.Zero(t, s.Stats().Described, "no trigger, no description")

	s.Trigger()
	waitFor("the first description", func(st Stats) bool { return st.Described == 1 })
	for i := 0; i < 5; i++ { // during the 300 ms description
		s.Trigger()
	}
	waitFor("the coalesced second description", func(st Stats) bool { return st.Described == 2 })
	time.Sleep(500 * time.Millisecond)
	st := s.Stats()
	require.Equal(t, uint64(2), st.Described, "five triggers during one description make one more")
	require.Equal(t, uint64(6), st.Triggers)
	seqs := rec.described()
	require.Greater(t, seqs[1], seqs[0])

	cancel()
	require.ErrorIs(t, <-runErr, context.Canceled)
	checkAccounting(t, s.Stats())
}

func TestIntervalMode(t *testing.T) {
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 3}, 50)
	rec := &recorder{}
	s := newScheduler(t, Config{Mode: ModeInterval, Interval: 150 * time.Millisecond}, src, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Run(ctx), context.DeadlineExceeded)
	st := s.Stats()
	t.Logf("interval 150 ms over 700 ms: described %d of %d read", st.Described, st.Read)
	// At 0, 150, 300, 450, 600 ms; the first frame may come late on a loaded machine.
	require.GreaterOrEqual(t, st.Described, uint64(3))
	require.LessOrEqual(t, st.Described, uint64(5))
	checkAccounting(t, st)
}

// Trigger works in other modes too: "describe now".
func TestTriggerInIntervalMode(t *testing.T) {
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 4}, 50)
	rec := &recorder{}
	s := newScheduler(t, Config{Mode: ModeInterval, Interval: time.Hour}, src, rec)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Described < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, uint64(1), s.Stats().Described, "the first frame, then not for an hour")
	s.Trigger()
	for s.Stats().Described < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, uint64(2), s.Stats().Described)
	cancel()
	require.ErrorIs(t, <-runErr, context.Canceled)
}

func TestContinuousMaxFPS(t *testing.T) {
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 6}, 0)
	rec := &recorder{}
	s := newScheduler(t, Config{Mode: ModeContinuous, MaxFPS: 10}, src, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 650*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Run(ctx), context.DeadlineExceeded)
	st := s.Stats()
	t.Logf("MaxFPS 10 over 650 ms: described %d of %d read", st.Described, st.Read)
	require.LessOrEqual(t, st.Described, uint64(7))
	require.GreaterOrEqual(t, st.Described, uint64(3))
}

// Cancelling stops Run at once, even in the middle of a long description and with the
// reader waiting for the camera, and leaves no goroutine behind.
func TestCancelStopsPromptly(t *testing.T) {
	base := runtime.NumGoroutine()
	_, src := synthetic(t, camera.SyntheticConfig{Seed: 7}, 20)
	rec := &recorder{delay: time.Minute}
	s := newScheduler(t, Config{Mode: ModeContinuous}, src, rec)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Described < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, uint64(1), s.Stats().Described)
	start := time.Now()
	cancel()
	select {
	case err := <-runErr:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2 s of cancel")
	}
	t.Logf("Run returned %v after cancel", time.Since(start))
	require.Less(t, time.Since(start), 500*time.Millisecond)
	waitGoroutines(t, base)
	require.ErrorContains(t, s.Run(context.Background()), "twice")
}

// A finite source ends the run cleanly, and its last frame is described in continuous mode.
func TestSourceEndEndsRun(t *testing.T) {
	base := runtime.NumGoroutine()
	syn, err := camera.NewSynthetic(camera.SyntheticConfig{Seed: 8, Frames: 5})
	require.NoError(t, err)
	rec := &recorder{delay: 30 * time.Millisecond}
	s := newScheduler(t, Config{Mode: ModeContinuous}, syn, rec)
	require.NoError(t, s.Run(context.Background()))
	seqs := rec.described()
	require.NotEmpty(t, seqs)
	require.Equal(t, uint64(5), seqs[len(seqs)-1], "the last frame is not lost")
	st := s.Stats()
	require.Equal(t, uint64(5), st.Read)
	require.Equal(t, st.Read, st.Described+st.Skipped+st.Passed)
	require.NoError(t, st.LastSourceError)
	waitGoroutines(t, base)

	// Trigger mode with no trigger: the run still ends with the source.
	syn2, err := camera.NewSynthetic(camera.SyntheticConfig{Seed: 8, Frames: 3})
	require.NoError(t, err)
	rec2 := &recorder{}
	s2 := newScheduler(t, Config{Mode: ModeTrigger}, syn2, rec2)
	require.NoError(t, s2.Run(context.Background()))
	require.Zero(t, s2.Stats().Described)
}

// failingSource gives frames from a synthetic source, then fails like a lost camera.
type failingSource struct {
	*camera.Synthetic
	after uint64
	n     uint64
}

var errLost = errors.New("camera lost")

func (f *failingSource) Read(ctx context.Context) (camera.Frame, error) {
	if f.n >= f.after {
		return camera.Frame{}, errLost
	}
	f.n++
	return f.Synthetic.Read(ctx)
}

func TestSourceAndDescribeErrors(t *testing.T) {
	syn, err := camera.NewSynthetic(camera.SyntheticConfig{Seed: 9})
	require.NoError(t, err)
	src := &failingSource{Synthetic: syn, after: 4}
	rec := &recorder{fail: errors.New("model on fire")}
	s := newScheduler(t, Config{Mode: ModeContinuous}, src, rec)
	err = s.Run(context.Background())
	require.ErrorIs(t, err, errLost)
	require.ErrorContains(t, err, syn.Name())
	st := s.Stats()
	require.ErrorIs(t, st.LastSourceError, errLost)
	require.Equal(t, st.Described, st.DescribeErrors, "describe errors are counted, and do not stop the run")
	require.ErrorContains(t, st.LastDescribeError, "model on fire")
}

func TestNewValidates(t *testing.T) {
	syn, err := camera.NewSynthetic(camera.SyntheticConfig{})
	require.NoError(t, err)
	d := func(context.Context, camera.Frame) error { return nil }
	for _, tc := range []struct {
		cfg Config
		src camera.Source
		d   Describe
	}{
		{Config{Mode: "sometimes"}, syn, d},
		{Config{Interval: -time.Second}, syn, d},
		{Config{MaxFPS: -1}, syn, d},
		{Config{}, nil, d},
		{Config{}, syn, nil},
	} {
		_, err := New(tc.cfg, tc.src, tc.d)
		require.Error(t, err, "%+v", tc.cfg)
	}
	s, err := New(Config{}, syn, d)
	require.NoError(t, err)
	require.Equal(t, Config{Mode: ModeInterval, Interval: DefaultInterval, ChangeThreshold: DefaultChangeThreshold}, s.Config())
}
