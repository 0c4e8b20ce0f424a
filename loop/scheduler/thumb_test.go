package scheduler

import (
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/scene"
)

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestThumb(t *testing.T) {
	white := NewThumb(solid(224, 224, color.RGBA{240, 240, 240, 255}))
	black := NewThumb(solid(640, 480, color.RGBA{18, 18, 18, 255}))
	tiny := NewThumb(solid(7, 5, color.RGBA{18, 18, 18, 255}))
	require.InDelta(t, 240, white[0], 1e-3)
	require.InDelta(t, 222, white.Diff(&black), 1e-3)
	require.Zero(t, black.Diff(&tiny), "sizes that do not divide by 32 and tiny frames work")

	// Noise of σ 6 barely moves the thumbnail; a new scene moves it a lot.
	l := scene.Layout{Background: "gray", Shapes: []scene.Shape{{Kind: "circle", Color: "red", CX: 112, CY: 112, R: 40}}}
	a, b := NewThumb(scene.Render(l, 224, 1)), NewThumb(scene.Render(l, 224, 2))
	moved := l
	moved.Shapes = []scene.Shape{{Kind: "circle", Color: "red", CX: 130, CY: 112, R: 40}}
	c := NewThumb(scene.Render(moved, 224, 3))
	t.Logf("noise diff %.2f, moved-shape diff %.2f", a.Diff(&b), a.Diff(&c))
	require.Less(t, a.Diff(&b), DefaultChangeThreshold/2)
	require.Greater(t, a.Diff(&c), DefaultChangeThreshold)
}
