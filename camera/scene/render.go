package scene

import (
	"image"
	"math"
	"math/rand/v2"
)

// NoiseSigma is the standard deviation, in 8-bit steps, of the per-channel Gaussian noise
// the training renderer added.
const NoiseSigma = 6.0

// Render draws l at size×size pixels (224, or a multiple that scales the same scene) with
// the training renderer's Gaussian noise, seeded by noiseSeed. Names Validate rejects are
// drawn leniently rather than failing: an unknown background as gray, an unknown shape
// not at all. A size below 1 renders at 224.
func Render(l Layout, size int, noiseSeed int64) *image.RGBA {
	return RenderNoise(l, size, noiseSeed, NoiseSigma)
}

// RenderNoise is Render with the noise level chosen; sigma 0 gives the clean scene.
func RenderNoise(l Layout, size int, noiseSeed int64, sigma float64) *image.RGBA {
	if size < 1 {
		size = BaseSize
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg, ok := backgrounds[l.Background]
	if !ok {
		bg = backgrounds["gray"]
	}
	scale := float64(BaseSize) / float64(size)
	var rng *rand.Rand
	if sigma > 0 {
		rng = rand.New(rand.NewPCG(uint64(noiseSeed), 0x5eed_5ca1e))
	}
	for py := 0; py < size; py++ {
		y := (float64(py) + 0.5) * scale
		row := img.Pix[py*img.Stride:]
		for px := 0; px < size; px++ {
			x := (float64(px) + 0.5) * scale
			c := bg
			// Later shapes cover earlier ones: the right shape is drawn over the left.
			for _, s := range l.Shapes {
				col, known := shapeColors[s.Color]
				if known && inside(s, x, y) {
					c = col
				}
			}
			p := row[px*4 : px*4+4]
			for ch := 0; ch < 3; ch++ {
				v := float64(c[ch])
				if rng != nil {
					v += rng.NormFloat64() * sigma
				}
				p[ch] = clamp8(v)
			}
			p[3] = 255
		}
	}
	return img
}

// Mask reports, per pixel of a size×size render, which shape index is visible there
// (-1 for background). Tests compare it with the shapes found in decoded images.
func Mask(l Layout, size int) []int {
	if size < 1 {
		size = BaseSize
	}
	m := make([]int, size*size)
	scale := float64(BaseSize) / float64(size)
	for py := 0; py < size; py++ {
		y := (float64(py) + 0.5) * scale
		for px := 0; px < size; px++ {
			x := (float64(px) + 0.5) * scale
			m[py*size+px] = -1
			for i, s := range l.Shapes {
				if _, known := shapeColors[s.Color]; known && inside(s, x, y) {
					m[py*size+px] = i
				}
			}
		}
	}
	return m
}

// inside is the training renderer's test for the point (x, y), a pixel centre.
func inside(s Shape, x, y float64) bool {
	dx, dy := x-s.CX, y-s.CY
	switch s.Kind {
	case "circle":
		return dx*dx+dy*dy <= s.R*s.R
	case "square":
		return math.Abs(dx) <= 0.85*s.R && math.Abs(dy) <= 0.85*s.R
	case "triangle":
		top := s.CY - s.R
		if y < top || y > s.CY+0.75*s.R {
			return false
		}
		return math.Abs(dx) <= (y-top)/(1.75*s.R)*s.R
	}
	return false
}

func clamp8(v float64) uint8 {
	v = math.Round(v)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
