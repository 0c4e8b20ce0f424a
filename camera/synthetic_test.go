package camera

import (
	"context"
	"io"
	"math"
	"testing"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/stretchr/testify/require"
)

func TestSyntheticRepeatsScenesForAPeriod(t *testing.T) {
	ctx := context.Background()
	src, err := NewSynthetic(SyntheticConfig{Seed: 3, ScenePeriod: 4, Frames: 12})
	require.NoError(t, err)
	var frames []Frame
	for {
		f, err := src.Read(ctx)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		frames = append(frames, f)
	}
	require.Len(t, frames, 12)
	_, ok := src.LayoutOf(13)
	require.False(t, ok, "frame 13 was never given")
	_, ok = src.LayoutOf(0)
	require.False(t, ok)

	for i, f := range frames {
		require.Equal(t, uint64(i+1), f.Seq)
		l, ok := src.LayoutOf(f.Seq)
		require.True(t, ok)
		require.NoError(t, l.Validate())
		require.Equal(t, uint64(i/4), src.SceneOf(f.Seq))
		// The frame is the layout's render plus noise of σ≈6: mean |diff| ≈ 4.8.
		clean := scene.RenderNoise(l, 224, 0, 0)
		require.InDelta(t, 4.8, meanAbs(f.Image.Pix, clean.Pix), 0.3, "frame %d", f.Seq)
		if i%4 != 0 {
			prev, _ := src.LayoutOf(f.Seq - 1)
			require.True(t, l.Equal(prev), "frames %d and %d share a scene", f.Seq-1, f.Seq)
			require.NotEqual(t, frames[i-1].Image.Pix, f.Image.Pix, "fresh noise per frame")
		} else if i > 0 {
			prev, _ := src.LayoutOf(f.Seq - 1)
			require.False(t, l.Equal(prev), "frame %d starts a new scene", f.Seq)
		}
	}

	again, err := NewSynthetic(SyntheticConfig{Seed: 3, ScenePeriod: 4})
	require.NoError(t, err)
	f, err := again.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, frames[0].Image.Pix, f.Image.Pix, "same seed, same frames")

	require.NoError(t, src.Close())
	_, err = src.Read(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestSyntheticOptions(t *testing.T) {
	src, err := NewSynthetic(SyntheticConfig{Seed: 1, Size: 448, NoNoise: true})
	require.NoError(t, err)
	f, err := src.Read(context.Background())
	require.NoError(t, err)
	l, _ := src.LayoutOf(1)
	require.Equal(t, scene.RenderNoise(l, 448, 0, 0).Pix, f.Image.Pix)

	_, err = NewSynthetic(SyntheticConfig{Size: 300})
	require.ErrorContains(t, err, "300")
	_, err = NewSynthetic(SyntheticConfig{ScenePeriod: -1})
	require.Error(t, err)
}

func meanAbs(a, b []uint8) float64 {
	sum, n := 0.0, 0
	for i := range a {
		if i%4 == 3 {
			continue
		}
		sum += math.Abs(float64(a[i]) - float64(b[i]))
		n++
	}
	return sum / float64(n)
}
