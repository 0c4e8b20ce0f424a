//go:build cgo && !nogocv

package gocvsrc

import (
	"context"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/camera/scene"
)

// syntheticClip renders n frames of the synthetic source and keeps their layouts.
func syntheticClip(t *testing.T, n int, period int) ([]image.Image, []scene.Layout) {
	t.Helper()
	src, err := camera.NewSynthetic(camera.SyntheticConfig{Seed: 11, ScenePeriod: period, Frames: uint64(n)})
	require.NoError(t, err)
	var frames []image.Image
	var layouts []scene.Layout
	for i := 0; i < n; i++ {
		f, err := src.Read(context.Background())
		require.NoError(t, err)
		l, ok := src.LayoutOf(f.Seq)
		require.True(t, ok)
		frames = append(frames, f.Image)
		layouts = append(layouts, l)
	}
	return frames, layouts
}

func meanAbsDiff(a, b *image.RGBA) float64 {
	sum, n := 0.0, 0
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		sum += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
		n++
	}
	return sum / float64(n)
}

func TestVideoRoundTrip(t *testing.T) {
	const n = 24
	frames, layouts := syntheticClip(t, n, 8)
	path := filepath.Join(t.TempDir(), "clip.avi")
	require.NoError(t, WriteVideo(path, frames, 10))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	src, err := OpenCapture(path, Options{})
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, KindFile, src.Spec().Kind)
	require.Equal(t, n, src.FrameCount())

	var worst, total, worstClean float64
	got := 0
	for {
		f, err := src.Read(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Less(t, got, n, "more frames than written")
		require.Equal(t, uint64(got+1), f.Seq)
		require.Equal(t, image.Rect(0, 0, 224, 224), f.Image.Bounds())
		d := meanAbsDiff(f.Image, frames[got].(*image.RGBA))
		// Against the noise-free scene: JPEG smooths the noise away, so this is small, and a
		// swapped channel order (red shapes decoded blue) would make it large.
		dc := meanAbsDiff(f.Image, scene.RenderNoise(layouts[got], 224, 0, 0))
		total += d
		worst = max(worst, d)
		worstClean = max(worstClean, dc)
		got++
	}
	require.Equal(t, n, got)
	t.Logf("MJPG round trip, %d frames: mean abs diff to the rendered frames %.2f (worst %.2f), worst to the noise-free scene %.2f",
		n, total/n, worst, worstClean)
	require.Less(t, worst, 8.0)
	require.Less(t, worstClean, 6.0)
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.avi")
	_, err := Open(missing, Options{})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, missing)

	_, err = Open(dir, Options{})
	require.ErrorContains(t, err, "is a folder")

	junk := filepath.Join(dir, "junk.avi")
	require.NoError(t, os.WriteFile(junk, []byte("this is not a video"), 0o644))
	_, err = Open(junk, Options{})
	require.ErrorContains(t, err, junk)

	_, err = Open("0", Options{Width: -5})
	require.Error(t, err)
}

func TestWriteVideoErrors(t *testing.T) {
	dir := t.TempDir()
	a := image.NewRGBA(image.Rect(0, 0, 32, 32))
	b := image.NewRGBA(image.Rect(0, 0, 16, 16))
	require.ErrorContains(t, WriteVideo(filepath.Join(dir, "x.avi"), nil, 10), "no frames")
	require.ErrorContains(t, WriteVideo(filepath.Join(dir, "x.avi"), []image.Image{a}, 0), "fps")
	require.ErrorContains(t, WriteVideo(filepath.Join(dir, "x.avi"), []image.Image{a, b}, 10), "frame 1")
	require.ErrorIs(t, WriteVideo(filepath.Join(dir, "no", "such", "x.avi"), []image.Image{a}, 10), os.ErrNotExist)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "failed writes leave no file")
}

// A video that does not exist yet fails to open twice, then appears: Reopening recovers
// and goes on reading the real file through gocv.
func TestReopeningRecoversAGocvSource(t *testing.T) {
	frames, _ := syntheticClip(t, 6, 3)
	path := filepath.Join(t.TempDir(), "late.avi")
	r, err := OpenReopening(path, Options{}, camera.ReopenConfig{MinBackoff: 150 * time.Millisecond, MaxBackoff: time.Second})
	require.NoError(t, err)
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	written := make(chan error, 1)
	go func() {
		// The camera "comes up" after the second failed open.
		for r.Stats().Failures < 2 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		written <- WriteVideo(path, frames, 10)
	}()
	for i := 1; i <= len(frames); i++ {
		f, err := r.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, uint64(i), f.Seq)
	}
	require.NoError(t, <-written)
	_, err = r.Read(ctx)
	require.ErrorIs(t, err, io.EOF, "OnEnd stop: the run ends with the file")
	st := r.Stats()
	t.Logf("reopening: %d failures, %d opens, last error: %v", st.Failures, st.Opens, st.LastError)
	require.GreaterOrEqual(t, st.Failures, uint64(2))
	require.Equal(t, uint64(1), st.Opens)
	require.ErrorIs(t, st.LastError, os.ErrNotExist)
	require.ErrorContains(t, st.LastError, "camera "+path)
}
