package preprocess

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const goldenRoot = "../../testdata"

type goldenCase struct {
	dir, name, image string
	want             []float32
}

// goldenCases lists every case with a pixel_values golden, across the fixture sets.
func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, dir := range []string{"tiny-opt", "tiny-t5", "demo"} {
		root := filepath.Join(goldenRoot, dir)
		raw, err := os.ReadFile(filepath.Join(root, "manifest.json"))
		require.NoError(t, err)
		var man struct {
			Cases []struct{ Name, Image string } `json:"cases"`
		}
		require.NoError(t, json.Unmarshal(raw, &man))
		tensors, err := readF32Tensors(filepath.Join(root, "goldens.safetensors"),
			func(n string) bool { return strings.HasSuffix(n, ".pixel_values") })
		require.NoError(t, err)
		found := 0
		for _, c := range man.Cases {
			want, ok := tensors[c.Name+".pixel_values"]
			if !ok {
				continue
			}
			require.Len(t, want, 3*224*224, c.Name)
			cases = append(cases, goldenCase{dir, c.Name, filepath.Join(root, "images", c.Image), want})
			found++
		}
		require.Equal(t, len(tensors), found, "%s: every pixel_values golden belongs to a case", dir)
	}
	require.NotEmpty(t, cases)
	return cases
}

// maxAbsDiff is +Inf when the lengths differ or a value is NaN, so that an empty or
// broken result cannot pass as "no difference".
func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

// stepSize is one 8-bit step in pixel_values on the channel with the smallest
// std, where a step is largest, so step counts are never overstated.
func stepSize(cfg Config) float64 {
	s := min(cfg.Std[0], cfg.Std[1], cfg.Std[2])
	return cfg.RescaleFactor / float64(s)
}

func TestGoldenPNG(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(goldenRoot, "tiny-opt", "model"))
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(), cfg)
	p, err := NewProcessor(cfg)
	require.NoError(t, err)
	n := 0
	for _, c := range goldenCases(t) {
		if !strings.HasSuffix(c.image, ".png") {
			continue
		}
		n++
		t.Run(c.dir+"/"+c.name, func(t *testing.T) {
			img, err := DecodeFile(c.image)
			require.NoError(t, err)
			got, err := p.Apply(img, nil)
			require.NoError(t, err)
			d := maxAbsDiff(got, c.want)
			t.Logf("%s %v %T: max |diff| %.3g", filepath.Base(c.image), img.Bounds().Size(), img, d)
			require.LessOrEqual(t, d, 1e-5)
		})
	}
	require.GreaterOrEqual(t, n, 17)
}

func TestGoldenJPEG(t *testing.T) {
	cfg := DefaultConfig()
	n := 0
	for _, c := range goldenCases(t) {
		if !strings.HasSuffix(c.image, ".jpg") {
			continue
		}
		n++
		t.Run(c.dir+"/"+c.name, func(t *testing.T) {
			img, err := DecodeFile(c.image)
			require.NoError(t, err)
			got, err := Apply(img, cfg)
			require.NoError(t, err)

			// Baseline: Go's own chroma replication and colour conversion.
			plain := newRGB(img.Bounds().Dx(), img.Bounds().Dy())
			genericToRGB(img, plain.Pix)
			base := make([]float32, 3*224*224)
			require.NoError(t, ApplyRGB(plain, cfg, base))

			dGo, dLib := maxAbsDiff(base, c.want), maxAbsDiff(got, c.want)
			t.Logf("%s: max |diff| Go colour %.4f (%.1f steps), libjpeg colour %.4f (%.1f steps)",
				filepath.Base(c.image), dGo, dGo/stepSize(cfg), dLib, dLib/stepSize(cfg))
			// What is left comes from Go's IDCT, which rounds differently from
			// libjpeg's islow: ±1 in Y and in Cb/Cr reach at most ~3 steps in R or B.
			require.LessOrEqual(t, dLib/stepSize(cfg), 4.0)
			require.Less(t, dLib, dGo)
		})
	}
	require.GreaterOrEqual(t, n, 3)
}
