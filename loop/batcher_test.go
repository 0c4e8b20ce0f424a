package loop

import (
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/models/blip2"
)

// prefixResult is what one acquire gave: the prefix copied to the host (it is valid
// only while the model is held) and the caption generated from it.
type prefixResult struct {
	prefix  []float32
	caption string
	err     error
}

// acquireAndCaption asks b for the frame's prefix and captions it, as a loop does.
func acquireAndCaption(ctx context.Context, b *imageBatcher, key blip2.FrameKey, img image.Image, stats *imageStats) prefixResult {
	prefix, _, unlock, err := b.acquire(ctx, key, img, stats)
	if err != nil {
		return prefixResult{err: err}
	}
	defer unlock()
	opts := b.model.DefaultGenerateOptions()
	r, err := b.model.GenerateWithPrefix(ctx, prefix, "", opts)
	if err != nil {
		return prefixResult{err: err}
	}
	return prefixResult{prefix: b.model.Backend.Host(prefix, nil), caption: r.Text}
}

// pendingRequests is how many requests wait for the model.
func (b *imageBatcher) pendingRequests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

func sceneImages(n int) []image.Image {
	rng := rand.New(rand.NewPCG(11, 12))
	imgs := make([]image.Image, n)
	for i := range imgs {
		imgs[i] = scene.Render(scene.Random(rng), scene.BaseSize, int64(i))
	}
	return imgs
}

// startAcquires makes one acquire per image, each on its own goroutine (camera i, frame
// 1), and returns their results once all are done.
func startAcquires(ctx context.Context, b *imageBatcher, imgs []image.Image, stats *imageStats) func() []prefixResult {
	out := make([]prefixResult, len(imgs))
	var wg sync.WaitGroup
	for i, img := range imgs {
		key := blip2.FrameKey{Camera: string(rune('a' + i)), Seq: 1, Time: time.Unix(100, 0)}
		wg.Go(func() { out[i] = acquireAndCaption(ctx, b, key, img, stats) })
	}
	return func() []prefixResult { wg.Wait(); return out }
}

// Requests made while another generation holds the model come out as one batch when it
// frees, and each gets the prefix and caption that a run of its image alone gives.
func TestBatcherRunsWaitingRequestsAsOneBatch(t *testing.T) {
	m := loadShapes(t)
	lock := &sync.Mutex{}
	b := newImageBatcher(m, lock, 4)
	imgs := sceneImages(3)
	var stats imageStats
	runs := m.ImagePathRuns()

	lock.Lock() // another generation holds the model
	wait := startAcquires(context.Background(), b, imgs, &stats)
	require.Eventually(t, func() bool { return b.pendingRequests() == len(imgs) }, 10*time.Second, time.Millisecond)
	lock.Unlock()
	got := wait()

	require.Equal(t, runs+uint64(len(imgs)), m.ImagePathRuns(), "each image path ran once")
	require.Equal(t, uint64(3), stats.runs.Load())
	require.Equal(t, uint64(3), stats.batched.Load(), "all three ran in a batch")
	require.Equal(t, uint64(3), stats.largest.Load(), "one batch of three")
	for i, img := range imgs {
		require.NoError(t, got[i].err, "request %d", i)
		alone, _, err := m.ImagePrefix(img)
		require.NoError(t, err)
		want := m.Backend.Host(alone, nil)
		require.Len(t, got[i].prefix, len(want))
		for j := range want {
			require.InDelta(t, want[j], got[i].prefix[j], 1e-4*(1+math.Abs(float64(want[j]))), "request %d value %d", i, j)
		}
		r, err := m.GenerateWithPrefix(context.Background(), alone, "", m.DefaultGenerateOptions())
		require.NoError(t, err)
		require.Equal(t, r.Text, got[i].caption, "request %d", i)
	}

	// A request made while the model is free runs at once, alone.
	free := acquireAndCaption(context.Background(), b, blip2.FrameKey{Camera: "a", Seq: 2, Time: time.Unix(101, 0)}, imgs[0], &stats)
	require.NoError(t, free.err)
	require.Equal(t, uint64(4), stats.runs.Load())
	require.Equal(t, uint64(3), stats.batched.Load())
}

// An image that cannot be preprocessed fails its own request only; the rest of its
// batch is served.
func TestBatcherErrorGoesToItsRequester(t *testing.T) {
	m := loadShapes(t)
	lock := &sync.Mutex{}
	b := newImageBatcher(m, lock, 4)
	imgs := sceneImages(3)
	imgs[1] = image.NewRGBA(image.Rect(0, 0, 0, 0))
	var stats imageStats

	lock.Lock()
	wait := startAcquires(context.Background(), b, imgs, &stats)
	require.Eventually(t, func() bool { return b.pendingRequests() == len(imgs) }, 10*time.Second, time.Millisecond)
	lock.Unlock()
	got := wait()

	require.NoError(t, got[0].err)
	require.Error(t, got[1].err, "the empty image's request")
	require.NoError(t, got[2].err)
	require.Equal(t, uint64(2), stats.largest.Load(), "the two good images ran together")
}

// A request whose context ends while it waits for the model gives up with the
// context's error, and its frame is left out of the next batch.
func TestBatcherCancelledRequestLeavesTheQueue(t *testing.T) {
	m := loadShapes(t)
	lock := &sync.Mutex{}
	b := newImageBatcher(m, lock, 4)
	imgs := sceneImages(2)
	var stats imageStats
	runs := m.ImagePathRuns()

	lock.Lock()
	ctx, cancel := context.WithCancel(context.Background())
	wait := startAcquires(ctx, b, imgs[:1], &stats)
	require.Eventually(t, func() bool { return b.pendingRequests() == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	got := wait() // returns while the model is still held
	require.True(t, errors.Is(got[0].err, context.Canceled), "got %v", got[0].err)
	require.Zero(t, b.pendingRequests())
	lock.Unlock()

	other := acquireAndCaption(context.Background(), b, blip2.FrameKey{Camera: "b", Seq: 1, Time: time.Unix(100, 0)}, imgs[1], &stats)
	require.NoError(t, other.err)
	require.Equal(t, runs+1, m.ImagePathRuns(), "only the live request's image path ran")
	require.Equal(t, uint64(1), stats.largest.Load())
	lock.Lock() // the cancelled request's late lock was handed back
	lock.Unlock()
}

// Frames of two cameras with one sequence number and time are two frames to the cache.
func TestFrameKeysOfTwoCamerasDiffer(t *testing.T) {
	m := loadShapes(t)
	imgs := sceneImages(2)
	at := time.Unix(100, 0)
	runs := m.ImagePathRuns()
	_, _, err := m.FramePrefix(blip2.FrameKey{Camera: "a", Seq: 1, Time: at}, imgs[0])
	require.NoError(t, err)
	_, _, err = m.FramePrefix(blip2.FrameKey{Camera: "b", Seq: 1, Time: at}, imgs[1])
	require.NoError(t, err)
	require.Equal(t, runs+2, m.ImagePathRuns())
}
