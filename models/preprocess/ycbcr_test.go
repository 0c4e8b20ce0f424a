package preprocess

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLibjpegConstants(t *testing.T) {
	fix := func(x float64) int32 { return int32(x*65536 + 0.5) } // jdcolor.c's FIX
	require.Equal(t, fix(1.40200), int32(fixCrR))
	require.Equal(t, fix(1.77200), int32(fixCbB))
	require.Equal(t, fix(0.71414), int32(fixCrG))
	require.Equal(t, fix(0.34414), int32(fixCbG))
}

func TestLibjpegRGB(t *testing.T) {
	r, g, b := libjpegRGB(128, 128, 128)
	require.Equal(t, [3]uint8{128, 128, 128}, [3]uint8{r, g, b})
	// Table values from jdcolor.c: Cr_r_tab[255] = 178, Cb_b_tab[0] = -227.
	r, _, _ = libjpegRGB(0, 128, 255)
	require.Equal(t, uint8(178), r)
	_, _, b = libjpegRGB(255, 0, 128)
	require.Equal(t, uint8(28), b)
	// Everywhere within one step of the real-valued JFIF formula.
	for y := 0; y < 256; y += 5 {
		for cb := 0; cb < 256; cb += 3 {
			for cr := 0; cr < 256; cr += 7 {
				r, g, b := libjpegRGB(int32(y), int32(cb), int32(cr))
				fy, fb, fr := float64(y), float64(cb-128), float64(cr-128)
				want := [3]float64{fy + 1.402*fr, fy - 0.34414*fb - 0.71414*fr, fy + 1.772*fb}
				for i, v := range [3]uint8{r, g, b} {
					w := math.Min(math.Max(math.Round(want[i]), 0), 255)
					require.InDelta(t, w, float64(v), 1, "y=%d cb=%d cr=%d ch %d", y, cb, cr, i)
				}
			}
		}
	}
}

// newYCbCr builds an image whose Cb plane is given row by row; Y and Cr are flat.
func newYCbCr(w, h int, ratio image.YCbCrSubsampleRatio, cb [][]uint8) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for i := range m.Y {
		m.Y[i] = 128
	}
	for i := range m.Cr {
		m.Cr[i] = 128
	}
	for cy, row := range cb {
		copy(m.Cb[cy*m.CStride:], row)
	}
	return m
}

func upsampledCb(t *testing.T, m *image.YCbCr) [][]uint8 {
	t.Helper()
	u, ok := newChromaUpsampler(m)
	require.True(t, ok)
	var out [][]uint8
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		u.row(y)
		out = append(out, append([]uint8(nil), u.cb...))
	}
	return out
}

func TestChromaUpsampling(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		ratio image.YCbCrSubsampleRatio
		cb    [][]uint8
		want  [][]uint8
	}{
		{
			// h2v2 fancy, worked by hand from jdsample.c: column sums 3·near+far,
			// then (3·this+last+8)>>4 and (3·this+next+7)>>4; edges repeat.
			name: "420 fancy", w: 6, h: 4, ratio: image.YCbCrSubsampleRatio420,
			cb: [][]uint8{{0, 160, 0}, {80, 80, 80}},
			want: [][]uint8{
				{0, 40, 120, 120, 40, 0},
				{20, 50, 110, 110, 50, 20},
				{60, 70, 90, 90, 70, 60},
				{80, 80, 80, 80, 80, 80},
			},
		},
		{
			// h2v1 fancy: (3·this+last+1)>>2 and (3·this+next+2)>>2.
			name: "422 fancy", w: 8, h: 1, ratio: image.YCbCrSubsampleRatio422,
			cb:   [][]uint8{{0, 100, 200, 100}},
			want: [][]uint8{{0, 25, 75, 125, 175, 175, 125, 100}},
		},
		{
			// Odd width: the last chroma sample covers one pixel.
			name: "422 odd width", w: 5, h: 1, ratio: image.YCbCrSubsampleRatio422,
			cb:   [][]uint8{{0, 100, 200}},
			want: [][]uint8{{0, 25, 75, 125, 175}},
		},
		{
			// h1v2 fancy: (3·near+far+1)>>2 above, +2 below.
			name: "440 fancy", w: 2, h: 4, ratio: image.YCbCrSubsampleRatio440,
			cb:   [][]uint8{{0, 255}, {100, 50}},
			want: [][]uint8{{0, 255}, {25, 204}, {75, 101}, {100, 50}},
		},
		{
			// Chroma only 2 samples wide: libjpeg falls back to replication.
			name: "420 narrow", w: 4, h: 2, ratio: image.YCbCrSubsampleRatio420,
			cb:   [][]uint8{{10, 200}},
			want: [][]uint8{{10, 10, 200, 200}, {10, 10, 200, 200}},
		},
		{
			name: "411 replicate", w: 8, h: 1, ratio: image.YCbCrSubsampleRatio411,
			cb:   [][]uint8{{1, 2}},
			want: [][]uint8{{1, 1, 1, 1, 2, 2, 2, 2}},
		},
		{
			name: "444 direct", w: 3, h: 1, ratio: image.YCbCrSubsampleRatio444,
			cb:   [][]uint8{{7, 8, 9}},
			want: [][]uint8{{7, 8, 9}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newYCbCr(tc.w, tc.h, tc.ratio, tc.cb)
			require.Equal(t, tc.want, upsampledCb(t, m))
		})
	}
}

// A flat chroma plane stays flat through every upsampling path.
func TestChromaUpsamplingKeepsConstants(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		m := image.NewYCbCr(image.Rect(0, 0, 13, 9), ratio)
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = 77, 200
		}
		for _, row := range upsampledCb(t, m) {
			require.Len(t, row, 13, "%v: a full row, or the value loop checks nothing", ratio)
			for _, v := range row {
				require.Equal(t, uint8(77), v, "%v", ratio)
			}
		}
	}
}

// Go's encoder writes 4:2:0; fancy upsampling must land closer to a smooth
// original than Go's own nearest-sample conversion does.
func TestJPEGRoundTripCloserThanGo(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(4 * x), uint8(5 * y), uint8(255 - 2*x - 2*y), 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}))
	img, err := Decode(&buf, "ramp.jpg")
	require.NoError(t, err)
	require.IsType(t, &image.YCbCr{}, img)

	ours := ToRGB(img)
	goRGB := newRGB(64, 48)
	genericToRGB(img, goRGB.Pix)
	orig := ToRGB(src)
	sq := func(a *RGB) float64 {
		s := 0.0
		for i := range a.Pix {
			d := float64(a.Pix[i]) - float64(orig.Pix[i])
			s += d * d
		}
		return s / float64(len(a.Pix))
	}
	require.Less(t, sq(ours), sq(goRGB))
	require.Less(t, sq(ours), 4.0)
}

func TestYCbCrMalformedFallsBack(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	m.Cb = m.Cb[:3] // too short for the rectangle
	m.Cr = m.Cr[:3]
	_, ok := newChromaUpsampler(m)
	require.False(t, ok)
	require.Nil(t, ToRGB(m))
	_, err := Apply(m, DefaultConfig())
	require.ErrorContains(t, err, "malformed")
}
