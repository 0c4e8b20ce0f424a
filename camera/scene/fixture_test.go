package scene

import (
	"encoding/json"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

const demoDir = "../../testdata/demo"

type demoTruth struct {
	Layout struct {
		BG     string `json:"bg"`
		Shapes []struct {
			Shape string  `json:"shape"`
			Color string  `json:"color"`
			CX    float64 `json:"cx"`
			CY    float64 `json:"cy"`
			R     float64 `json:"r"`
		} `json:"shapes"`
	} `json:"layout"`
	CaptionTruth string   `json:"caption_truth"`
	Question     string   `json:"question"`
	AnswerTruth  string   `json:"answer_truth"`
	Chat         []string `json:"chat"`
	ChatTruth    string   `json:"chat_truth"`
}

func (d demoTruth) layout() Layout {
	l := Layout{Background: d.Layout.BG}
	for _, s := range d.Layout.Shapes {
		l.Shapes = append(l.Shapes, Shape{Kind: s.Shape, Color: s.Color, CX: s.CX, CY: s.CY, R: s.R})
	}
	return l
}

func loadTruth(t *testing.T) map[string]demoTruth {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(demoDir, "manifest.json"))
	require.NoError(t, err)
	var m struct {
		Truth map[string]demoTruth `json:"truth"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	require.NotEmpty(t, m.Truth)
	return m.Truth
}

func loadRGBA(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, _, err := image.Decode(f)
	require.NoError(t, err, path)
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func sortedNames(m map[string]demoTruth) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// nearestColors names, per pixel of a noisy image, the nearest colour of the layout's
// palette (its background and its shapes' colours).
func nearestColors(img *image.RGBA, l Layout) []string {
	names := []string{l.Background}
	refs := [][3]uint8{backgrounds[l.Background]}
	for _, s := range l.Shapes {
		names = append(names, s.Color)
		refs = append(refs, shapeColors[s.Color])
	}
	n := img.Bounds().Dx()
	out := make([]string, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			p := img.Pix[y*img.Stride+x*4:]
			best, bestD := 0, math.MaxFloat64
			for k, r := range refs {
				d := 0.0
				for ch := 0; ch < 3; ch++ {
					v := float64(p[ch]) - float64(r[ch])
					d += v * v
				}
				if d < bestD {
					best, bestD = k, d
				}
			}
			out[y*n+x] = names[best]
		}
	}
	return out
}

// maskColors names the colour Mask says is visible at each pixel.
func maskColors(l Layout, size int) []string {
	m := Mask(l, size)
	out := make([]string, len(m))
	for i, idx := range m {
		if idx < 0 {
			out[i] = l.Background
		} else {
			out[i] = l.Shapes[idx].Color
		}
	}
	return out
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

// The renderer draws the fixtures' layouts as the training renderer did: the clean render
// differs from each fixture by about the noise level (σ=6 gives a mean |noise| of 4.8) and
// the shape masks agree pixel for pixel, up to a few pixels where noise crosses a boundary
// colour or JPEG blurs an edge.
func TestRenderMatchesDemoFixtures(t *testing.T) {
	truth := loadTruth(t)
	for _, name := range sortedNames(truth) {
		t.Run(name, func(t *testing.T) {
			want := loadRGBA(t, filepath.Join(demoDir, "images", name))
			size := want.Bounds().Dx()
			l := truth[name].layout()
			require.NoError(t, l.Validate())
			got := RenderNoise(l, size, 0, 0)
			mad := meanAbsDiff(got, want)
			gotMask, wantMask := maskColors(l, size), nearestColors(want, l)
			mismatch := 0
			for i := range gotMask {
				if gotMask[i] != wantMask[i] {
					mismatch++
				}
			}
			t.Logf("%s: %d px, mean abs diff %.2f, mask mismatches %d", name, size, mad, mismatch)
			require.InDelta(t, 4.8, mad, 1.0, "mean abs diff against the clean render")
			require.LessOrEqual(t, mismatch, size*size/1000, "mask mismatches")

			// The comparison has teeth: the same layout one pixel off disagrees visibly.
			shifted := l
			shifted.Shapes = append([]Shape(nil), l.Shapes...)
			shifted.Shapes[0].CX++
			off := 0
			for i, c := range maskColors(shifted, size) {
				if c != wantMask[i] {
					off++
				}
			}
			require.Greater(t, off, size*size/1000, "a shifted layout should not match")
		})
	}
}

// The captions and answers the manifest records as truth come out of Caption and Answer,
// both for bare questions and for the two-turn chat prompts the model was given.
func TestCaptionAndAnswersMatchDemoTruth(t *testing.T) {
	truth := loadTruth(t)
	for _, name := range sortedNames(truth) {
		d := truth[name]
		l := d.layout()
		require.Equal(t, d.CaptionTruth, l.Caption(), name)
		if d.Question != "" {
			got, ok := l.Answer(d.Question)
			require.True(t, ok, "%s: %q", name, d.Question)
			require.Equal(t, d.AnswerTruth, got, "%s: %q", name, d.Question)
		}
		if len(d.Chat) == 3 {
			prompt := "Question: " + d.Chat[0] + " Answer: " + d.Chat[1] + ". Question: " + d.Chat[2] + " Answer:"
			got, ok := l.Answer(prompt)
			require.True(t, ok, "%s: %q", name, prompt)
			require.Equal(t, d.ChatTruth, got, "%s: %q", name, prompt)
			// The first turn's recorded answer is the truth too.
			first, ok := l.Answer(d.Chat[0])
			require.True(t, ok)
			require.Equal(t, d.Chat[1], first, "%s: %q", name, d.Chat[0])
		}
	}
}
