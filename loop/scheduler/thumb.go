package scheduler

import (
	"image"
	"math"
)

// ThumbSide is the side of the gray thumbnails change detection compares.
const ThumbSide = 32

// Thumb is a 32×32 gray thumbnail (0..255) of a frame, each cell the mean of its area.
type Thumb [ThumbSide * ThumbSide]float32

// maxSamplesPerCellSide bounds the work on large frames: a cell is sampled on a grid of at
// most this many points per side, which still averages sensor noise well.
const maxSamplesPerCellSide = 8

// NewThumb shrinks img to a gray thumbnail (BT.601 luma weights).
func NewThumb(img *image.RGBA) Thumb {
	var t Thumb
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return t
	}
	for cy := 0; cy < ThumbSide; cy++ {
		y0, y1 := cellSpan(cy, h)
		ystep := max(1, (y1-y0)/maxSamplesPerCellSide)
		for cx := 0; cx < ThumbSide; cx++ {
			x0, x1 := cellSpan(cx, w)
			xstep := max(1, (x1-x0)/maxSamplesPerCellSide)
			var sum float64
			n := 0
			for y := y0; y < y1; y += ystep {
				row := img.Pix[(y)*img.Stride:]
				for x := x0; x < x1; x += xstep {
					p := row[x*4 : x*4+3]
					sum += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
					n++
				}
			}
			t[cy*ThumbSide+cx] = float32(sum / float64(n))
		}
	}
	return t
}

// cellSpan is the pixel range [lo, hi) of thumbnail cell i along a side of n pixels;
// never empty, so images smaller than the thumbnail repeat pixels.
func cellSpan(i, n int) (int, int) {
	lo := i * n / ThumbSide
	hi := (i + 1) * n / ThumbSide
	if hi <= lo {
		hi = lo + 1
	}
	return min(lo, n-1), min(hi, n)
}

// Diff is the mean absolute difference of two thumbnails, 0..255.
func (t *Thumb) Diff(o *Thumb) float64 {
	var sum float64
	for i := range t {
		sum += math.Abs(float64(t[i]) - float64(o[i]))
	}
	return sum / float64(len(t))
}
