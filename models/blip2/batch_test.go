package blip2

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime/cpu"
)

// A batch of images through the image path gives each image the prefix it gets alone
// (to float rounding: the products see more rows) and the same greedy caption, for OPT
// and T5 fixtures and the shapes model, fp32 and int8.
func TestBatchedImagePathEqualsOneByOne(t *testing.T) {
	for _, tc := range []struct {
		name, dir string
		images    []string
	}{
		{"tiny-opt", testdata + "/tiny-opt/model", []string{"tiny-opt/images/scene0_224.png", "tiny-opt/images/scene_448.png", "tiny-opt/images/scene_320x240.jpg", "tiny-opt/images/scene_gray_300.png"}},
		{"tiny-t5", testdata + "/tiny-t5/model", []string{"tiny-t5/images/scene1_224.png", "tiny-t5/images/scene2_224.png", "tiny-t5/images/scene_rgba_200.png"}},
		{"shapes", "../shapes/blip2-shapes-opt", []string{"demo/images/scene00.png", "demo/images/scene03.png", "demo/images/scene07.png", "demo/images/scene11.png"}},
	} {
		for _, int8 := range []bool{false, true} {
			name := tc.name + map[bool]string{false: "/fp32", true: "/int8"}[int8]
			t.Run(name, func(t *testing.T) {
				be := cpu.New(2)
				defer be.Close()
				m, err := Load(tc.dir, Options{Backend: be, Int8: int8})
				require.NoError(t, err)
				defer m.Close()
				var pixels [][]float32
				for _, f := range tc.images {
					img, err := preprocess.DecodeFile(filepath.Join(testdata, f))
					require.NoError(t, err)
					px, err := m.PixelValues(img)
					require.NoError(t, err)
					pixels = append(pixels, px)
				}
				runs := m.ImagePathRuns()
				batch, err := m.EncodeBatch(pixels)
				require.NoError(t, err)
				require.Len(t, batch, len(pixels))
				require.Equal(t, runs+uint64(len(pixels)), m.ImagePathRuns())
				opts := m.DefaultGenerateOptions()
				opts.NumBeams, opts.DoSample, opts.MaxNewTokens = 1, false, 12
				worst := 0.0
				for i, px := range pixels {
					one, err := m.EncodePixels(px)
					require.NoError(t, err)
					a, b := be.Host(one.Prefix, nil), be.Host(batch[i], nil)
					require.Len(t, b, len(a), "image %d", i)
					require.Equal(t, one.Prefix.Shape, batch[i].Shape)
					for j := range a {
						d := math.Abs(float64(a[j] - b[j]))
						require.False(t, math.IsNaN(d), "image %d value %d", i, j)
						worst = max(worst, d/(1+math.Abs(float64(a[j]))))
					}
					alone, err := m.GenerateWithPrefix(context.Background(), one.Prefix, "", opts)
					require.NoError(t, err)
					batched, err := m.GenerateWithPrefix(context.Background(), batch[i], "", opts)
					require.NoError(t, err)
					require.Equal(t, alone.Tokens, batched.Tokens, "image %d", i)
				}
				t.Logf("%s: %d images, worst relative prefix difference %.2g", name, len(pixels), worst)
				require.Less(t, worst, 1e-4)
			})
		}
	}
	m, err := Load(testdata+"/tiny-opt/model", Options{Backend: cpu.New(1)})
	require.NoError(t, err)
	defer m.Close()
	_, err = m.EncodeBatch([][]float32{make([]float32, 3*224*224), make([]float32, 5)})
	require.ErrorContains(t, err, "image 1 has 5 pixel values")
	_, err = m.EncodeBatch(nil)
	require.ErrorContains(t, err, "no image")
}
