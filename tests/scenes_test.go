package tests

import (
	"errors"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/gocvsrc"
	"github.com/edgevlm/edge/camera/scene"
)

// randomScenes draws n scenes the way the model's training set was drawn.
func randomScenes(seed uint64, n int) []scene.Layout {
	rng := rand.New(rand.NewPCG(seed, 0xe2e))
	out := make([]scene.Layout, n)
	for i := range out {
		out[i] = scene.Random(rng)
	}
	return out
}

// writeVideo renders perScene noisy frames of each scene, in order, into an MJPG video
// through OpenCV; the test is skipped on a build without OpenCV.
func writeVideo(t *testing.T, dir string, scenes []scene.Layout, perScene int, fps float64) string {
	t.Helper()
	var frames []image.Image
	for i, l := range scenes {
		require.NoError(t, l.Validate())
		for f := 0; f < perScene; f++ {
			frames = append(frames, scene.Render(l, scene.BaseSize, int64(1000*i+f)))
		}
	}
	path := filepath.Join(dir, "scenes.avi")
	err := gocvsrc.WriteVideo(path, frames, fps)
	if errors.Is(err, gocvsrc.ErrNoOpenCV) {
		t.Skipf("needs OpenCV to write %s: this test binary was built without it (cgo off or -tags nogocv)", path)
	}
	require.NoError(t, err)
	return path
}

// writePNG renders one frame of a scene into a PNG file.
func writePNG(t *testing.T, dir string, l scene.Layout) string {
	t.Helper()
	require.NoError(t, l.Validate())
	path := filepath.Join(dir, "scene.png")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, scene.Render(l, scene.BaseSize, 7)))
	require.NoError(t, f.Close())
	return path
}

// allCaptions is every caption the model was taught: any well-formed scene description.
func allCaptions() map[string]bool {
	out := map[string]bool{}
	var shapes []scene.Shape
	for _, k := range scene.Kinds() {
		for _, c := range scene.Colors() {
			shapes = append(shapes, scene.Shape{Kind: k, Color: c, R: 1})
		}
	}
	for _, bg := range scene.Backgrounds() {
		for _, a := range shapes {
			out[scene.Layout{Background: bg, Shapes: []scene.Shape{a}}.Caption()] = true
			for _, b := range shapes {
				out[scene.Layout{Background: bg, Shapes: []scene.Shape{a, b}}.Caption()] = true
			}
		}
	}
	return out
}
