package scene

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var twoShapes = Layout{Background: "gray", Shapes: []Shape{
	{Kind: "square", Color: "green", CX: 60, CY: 100, R: 30},
	{Kind: "triangle", Color: "orange", CX: 160, CY: 120, R: 30},
}}

var oneShape = Layout{Background: "white", Shapes: []Shape{{Kind: "circle", Color: "red", CX: 112, CY: 112, R: 40}}}

var twoCircles = Layout{Background: "black", Shapes: []Shape{
	{Kind: "circle", Color: "blue", CX: 60, CY: 100, R: 30},
	{Kind: "circle", Color: "yellow", CX: 160, CY: 120, R: 30},
}}

func TestCaption(t *testing.T) {
	require.Equal(t, "a green square and an orange triangle on a gray background", twoShapes.Caption())
	require.Equal(t, "a red circle on a white background", oneShape.Caption())
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		l      Layout
		q      string
		want   string
		wantOK bool
	}{
		{twoShapes, "what color is the background?", "gray", true},
		{twoShapes, "How many shapes are there?", "two", true},
		{oneShape, "how many shapes are there?", "one", true},
		{twoShapes, "is there a square?", "yes", true},
		{twoShapes, "is there a circle?", "no", true},
		{twoShapes, "what color is the triangle?", "orange", true},
		{twoShapes, "what color is the circle?", "", false},  // there is none
		{twoCircles, "what color is the circle?", "", false}, // there are two
		{twoShapes, "what shape is on the left?", "square", true},
		{twoShapes, "what shape is on the right?", "triangle", true},
		{twoShapes, "what color is the shape on the left?", "green", true},
		{twoShapes, "what color is the shape on the right?", "orange", true},
		{oneShape, "what shape is on the left?", "", false},
		{oneShape, "what shape is it?", "circle", true},
		{oneShape, "what color is it?", "red", true},
		{twoShapes, "what shape is it?", "", false},
		{twoShapes, "what color is it?", "", false},
		{twoShapes, "Question: what shape is on the right? Answer: triangle. Question: what color is it? Answer:", "orange", true},
		{twoCircles, "Question: what shape is on the left? Answer: circle. Question: what color is it? Answer:", "blue", true},
		{oneShape, "Question: how many shapes are there? Answer: one. Question: what shape is it? Answer:", "circle", true},
		{twoShapes, "Question: what color is the background? Answer:", "gray", true},
		{twoShapes, "what is the meaning of life?", "", false},
		{twoShapes, "", "", false},
		{twoShapes, "is there a hexagon?", "", false},
	}
	for _, tc := range tests {
		got, ok := tc.l.Answer(tc.q)
		require.Equal(t, tc.wantOK, ok, "%q on %q", tc.q, tc.l.Caption())
		require.Equal(t, tc.want, got, "%q on %q", tc.q, tc.l.Caption())
	}
}

func TestRandomStaysInTrainingRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[int]int{}
	bgs := map[string]bool{}
	colors := map[string]bool{}
	kinds := map[string]bool{}
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi && v == math.Trunc(v) }
	for i := 0; i < 2000; i++ {
		l := Random(rng)
		require.NoError(t, l.Validate())
		counts[len(l.Shapes)]++
		bgs[l.Background] = true
		for _, s := range l.Shapes {
			colors[s.Color] = true
			kinds[s.Kind] = true
		}
		if len(l.Shapes) == 1 {
			s := l.Shapes[0]
			require.True(t, in(s.CX, 72, 152) && in(s.CY, 72, 152) && in(s.R, 30, 50), "%+v", s)
			continue
		}
		a, b := l.Shapes[0], l.Shapes[1]
		require.True(t, in(a.CX, 46, 82) && in(a.CY, 62, 162) && in(a.R, 24, 38), "%+v", a)
		require.True(t, in(b.CX, 142, 178) && in(b.CY, 62, 162) && in(b.R, 24, 38), "%+v", b)
	}
	require.InDelta(t, 1000, counts[1], 150)
	require.InDelta(t, 1000, counts[2], 150)
	require.Len(t, bgs, 3)
	require.Len(t, colors, 6)
	require.Len(t, kinds, 3)
}

// The noise is per channel, σ≈6, reproducible by seed, and the clean render is exact.
func TestRenderNoise(t *testing.T) {
	clean := RenderNoise(twoShapes, 224, 0, 0)
	a := Render(twoShapes, 224, 7)
	b := Render(twoShapes, 224, 7)
	c := Render(twoShapes, 224, 8)
	require.Equal(t, a.Pix, b.Pix, "same seed, same image")
	require.NotEqual(t, a.Pix, c.Pix, "another seed, other noise")
	var sum, sq float64
	n := 0
	for i := range a.Pix {
		if i%4 == 3 {
			require.Equal(t, uint8(255), a.Pix[i])
			continue
		}
		d := float64(a.Pix[i]) - float64(clean.Pix[i])
		sum += d
		sq += d * d
		n++
	}
	mean, sd := sum/float64(n), math.Sqrt(sq/float64(n))
	require.InDelta(t, 0, mean, 0.1)
	require.InDelta(t, NoiseSigma, sd, 0.2)
	// The background of the clean render is exactly the palette colour.
	require.Equal(t, []uint8{125, 125, 125, 255}, clean.Pix[:4])
}

func TestRenderScalesWithSize(t *testing.T) {
	small := Mask(twoShapes, 224)
	big := Mask(twoShapes, 448)
	diff := 0
	for y := 0; y < 448; y++ {
		for x := 0; x < 448; x++ {
			if big[y*448+x] != small[(y/2)*224+x/2] {
				diff++
			}
		}
	}
	// Only edge pixels may differ between the two samplings.
	require.Less(t, diff, 448*4*3)
	require.Equal(t, 448, Render(twoShapes, 448, 1).Bounds().Dx())
	require.Equal(t, 224, Render(twoShapes, 0, 1).Bounds().Dx())
}

func TestValidate(t *testing.T) {
	require.NoError(t, twoShapes.Validate())
	bad := []struct {
		l    Layout
		want string
	}{
		{Layout{Background: "pink", Shapes: oneShape.Shapes}, "background"},
		{Layout{Background: "gray"}, "0 shapes"},
		{Layout{Background: "gray", Shapes: []Shape{{Kind: "hexagon", Color: "red", R: 3}}}, "kind"},
		{Layout{Background: "gray", Shapes: []Shape{{Kind: "circle", Color: "teal", R: 3}}}, "colour"},
		{Layout{Background: "gray", Shapes: []Shape{{Kind: "circle", Color: "red", R: 0}}}, "radius"},
	}
	for _, tc := range bad {
		err := tc.l.Validate()
		require.Error(t, err)
		require.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		// Rendering an invalid layout does not panic.
		require.NotNil(t, Render(tc.l, 224, 1))
	}
}
