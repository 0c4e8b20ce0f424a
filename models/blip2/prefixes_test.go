package blip2

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime/cpu"
)

// FillFramePrefixes runs the frames' image paths as one batch and keeps them: the first
// FramePrefix of each gets the batch's timings without running the image path, a second
// counts as reused, a frame kept already or given twice is not run again, and a bad
// image fails alone.
func TestFillFramePrefixesKeepsABatch(t *testing.T) {
	be := cpu.New(1)
	defer be.Close()
	m, err := Load("../shapes/blip2-shapes-opt", Options{Backend: be})
	require.NoError(t, err)
	defer m.Close()
	var imgs []image.Image
	for _, f := range []string{"demo/images/scene00.png", "demo/images/scene03.png"} {
		img, err := preprocess.DecodeFile(filepath.Join(testdata, f))
		require.NoError(t, err)
		imgs = append(imgs, img)
	}
	at := time.Unix(100, 0)
	door, yard := FrameKey{Camera: "door", Seq: 1, Time: at}, FrameKey{Camera: "yard", Seq: 1, Time: at}
	empty := image.NewRGBA(image.Rect(0, 0, 0, 0))
	runs := m.ImagePathRuns()
	ran, errs := m.FillFramePrefixes([]FrameKey{door, yard, door, {Camera: "gate", Seq: 1, Time: at}},
		[]image.Image{imgs[0], imgs[1], imgs[0], empty})
	require.Equal(t, []bool{true, true, false, false}, ran)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.NoError(t, errs[2], "a frame given twice is run once")
	require.Error(t, errs[3], "the empty image")
	require.Equal(t, runs+2, m.ImagePathRuns())

	reused := m.PrefixesReused()
	_, first, err := m.FramePrefix(yard, imgs[1])
	require.NoError(t, err)
	require.Positive(t, first.Image, "the first use carries the batch's timings")
	_, again, err := m.FramePrefix(yard, imgs[1])
	require.NoError(t, err)
	require.Zero(t, again.Total)
	require.Equal(t, reused+1, m.PrefixesReused())
	require.Equal(t, runs+2, m.ImagePathRuns(), "nothing ran again")

	ran, _ = m.FillFramePrefixes([]FrameKey{door, {}}, []image.Image{imgs[0], imgs[1]})
	require.Equal(t, []bool{false, false}, ran, "kept, and the zero key is never kept")
}
