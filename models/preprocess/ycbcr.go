package preprocess

import (
	"fmt"
	"image"
)

// libjpeg's YCbCr→RGB constants: FIX(x) = round(x·2^16) (jdcolor.c).
const (
	fixCrR  = 91881  // FIX(1.40200)
	fixCbB  = 116130 // FIX(1.77200)
	fixCrG  = 46802  // FIX(0.71414)
	fixCbG  = 22554  // FIX(0.34414)
	oneHalf = 1 << 15
)

// chromaFactors returns how many luma columns and rows share one chroma sample.
func chromaFactors(r image.YCbCrSubsampleRatio) (hs, vs int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// ycbcrToRGB converts Go's decoded JPEG planes the way libjpeg(-turbo) does
// with its defaults, which PIL uses: "fancy" triangular chroma upsampling
// and the fixed-point conversion of jdcolor.c. Go's own IDCT still differs
// from libjpeg's, so the result is close to PIL's, not identical.
func ycbcrToRGB(m *image.YCbCr, out []uint8) error {
	u, ok := newChromaUpsampler(m)
	if !ok {
		hs, vs, known := chromaFactors(m.SubsampleRatio)
		if !known {
			hs, vs = 1, 1 // image.YCbCr lays unknown ratios out as 4:4:4
		}
		if !planesCover(m, hs, vs) {
			return fmt.Errorf("preprocess: malformed %v YCbCr image %v: planes too small", m.SubsampleRatio, m.Rect)
		}
		genericToRGB(m, out) // layouts libjpeg never produces
		return nil
	}
	b := m.Rect
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		u.row(y)
		yRow := m.Y[m.YOffset(b.Min.X, y):]
		yRow = yRow[:w]
		o := out[3*w*(y-b.Min.Y) : 3*w*(y-b.Min.Y+1)]
		cb, cr := u.cb[:w], u.cr[:w]
		for x, yv := range yRow {
			q := o[3*x : 3*x+3 : 3*x+3]
			q[0], q[1], q[2] = libjpegRGB(int32(yv), int32(cb[x]), int32(cr[x]))
		}
	}
	return nil
}

// chromaUpsampler produces full-resolution Cb and Cr rows as jdsample.c does:
// h2v1 and h2v2 "fancy" (triangle) when the chroma plane is wider than 2
// samples, h1v2 fancy always, plain replication otherwise; samples past the
// edges repeat the edge sample (jdmainct.c's context rows).
type chromaUpsampler struct {
	m              *image.YCbCr
	hs, vs         int
	cx0, cy0, cy1  int // chroma sample range covering the image (cy1 inclusive)
	cw             int
	fancyH, fancyV bool
	cb, cr         []uint8 // the current output row
	cbSum, crSum   []int32 // vertical sums, 4× a sample
}

func newChromaUpsampler(m *image.YCbCr) (*chromaUpsampler, bool) {
	hs, vs, ok := chromaFactors(m.SubsampleRatio)
	b := m.Rect
	if !ok || b.Min.X < 0 || b.Min.Y < 0 || !planesCover(m, hs, vs) {
		return nil, false
	}
	// Chroma coordinates follow image.YCbCr.COffset: x/hs and y/vs.
	u := &chromaUpsampler{m: m, hs: hs, vs: vs,
		cx0: b.Min.X / hs, cy0: b.Min.Y / vs, cy1: (b.Max.Y - 1) / vs}
	u.cw = (b.Max.X-1)/hs - u.cx0 + 1
	u.fancyH = hs == 2 && u.cw > 2
	u.fancyV = vs == 2 && (hs == 1 || u.fancyH)
	u.cb = make([]uint8, b.Dx())
	u.cr = make([]uint8, b.Dx())
	if u.fancyV {
		u.cbSum = make([]int32, u.cw)
		u.crSum = make([]int32, u.cw)
	}
	return u, true
}

// plane returns chroma row cy of p, indexed from cx0.
func (u *chromaUpsampler) plane(p []uint8, cy int) []uint8 {
	off := (cy - u.cy0) * u.m.CStride
	return p[off : off+u.cw]
}

// row fills u.cb and u.cr for image row y.
func (u *chromaUpsampler) row(y int) {
	m, x0 := u.m, u.m.Rect.Min.X
	cy := y / u.vs
	switch {
	case u.fancyV:
		// 3/4 of the nearest chroma row + 1/4 of the next nearest.
		upper := y-cy*u.vs == 0
		nb := cy + 1
		if upper {
			nb = cy - 1
		}
		nb = min(max(nb, u.cy0), u.cy1)
		columnSums(u.cbSum, u.plane(m.Cb, cy), u.plane(m.Cb, nb))
		columnSums(u.crSum, u.plane(m.Cr, cy), u.plane(m.Cr, nb))
		if u.hs == 2 {
			upsampleH2V2(u.cb, u.cbSum, x0, u.cx0)
			upsampleH2V2(u.cr, u.crSum, x0, u.cx0)
			return
		}
		bias := int32(2)
		if upper {
			bias = 1
		}
		upsampleH1V2(u.cb, u.cbSum, bias)
		upsampleH1V2(u.cr, u.crSum, bias)
	case u.fancyH:
		upsampleH2V1(u.cb, u.plane(m.Cb, cy), x0, u.cx0)
		upsampleH2V1(u.cr, u.plane(m.Cr, cy), x0, u.cx0)
	default:
		replicate(u.cb, u.plane(m.Cb, cy), x0, u.cx0, u.hs)
		replicate(u.cr, u.plane(m.Cr, cy), x0, u.cx0, u.hs)
	}
}

// planesCover checks that the planes hold every sample the rectangle needs,
// so a malformed hand-built image cannot index out of range.
func planesCover(m *image.YCbCr, hs, vs int) bool {
	b := m.Rect
	if b.Empty() || m.YStride < b.Dx() || len(m.Cb) != len(m.Cr) {
		return false
	}
	if m.YOffset(b.Max.X-1, b.Max.Y-1) >= len(m.Y) {
		return false
	}
	cw := (b.Max.X-1)/hs - b.Min.X/hs + 1
	ch := (b.Max.Y-1)/vs - b.Min.Y/vs + 1
	return m.CStride >= cw && (ch-1)*m.CStride+cw <= len(m.Cb)
}

func columnSums(dst []int32, near, far []uint8) {
	far = far[:len(near)]
	for i, v := range near {
		dst[i] = 3*int32(v) + int32(far[i])
	}
}

// upsampleH2V2 is the horizontal half of h2v2_fancy_upsample on column sums
// (each sum is 4× a sample): 3/4 nearer + 1/4 further, biases 8 and 7.
func upsampleH2V2(dst []uint8, sums []int32, x0, cx0 int) {
	last := len(sums) - 1
	for x := range dst {
		i := (x0+x)/2 - cx0
		this := sums[i]
		if (x0+x)%2 == 0 {
			dst[x] = uint8((3*this + sums[max(i-1, 0)] + 8) >> 4)
		} else {
			dst[x] = uint8((3*this + sums[min(i+1, last)] + 7) >> 4)
		}
	}
}

// upsampleH1V2 finishes h1v2_fancy_upsample: bias 1 towards the row above, 2 below.
func upsampleH1V2(dst []uint8, sums []int32, bias int32) {
	sums = sums[:len(dst)]
	for x := range dst {
		dst[x] = uint8((sums[x] + bias) >> 2)
	}
}

// upsampleH2V1 is h2v1_fancy_upsample: 3/4 nearer + 1/4 further, biases 1 and 2.
func upsampleH2V1(dst []uint8, row []uint8, x0, cx0 int) {
	last := len(row) - 1
	for x := range dst {
		i := (x0+x)/2 - cx0
		this := 3 * int32(row[i])
		if (x0+x)%2 == 0 {
			dst[x] = uint8((this + int32(row[max(i-1, 0)]) + 1) >> 2)
		} else {
			dst[x] = uint8((this + int32(row[min(i+1, last)]) + 2) >> 2)
		}
	}
}

// replicate is libjpeg's plain (box) upsampling.
func replicate(dst []uint8, row []uint8, x0, cx0, hs int) {
	for x := range dst {
		dst[x] = row[(x0+x)/hs-cx0]
	}
}

// libjpegRGB is ycc_rgb_convert for one pixel.
func libjpegRGB(y, cb, cr int32) (uint8, uint8, uint8) {
	cb -= 128
	cr -= 128
	r := y + (fixCrR*cr+oneHalf)>>16
	g := y + (-fixCbG*cb+oneHalf-fixCrG*cr)>>16
	b := y + (fixCbB*cb+oneHalf)>>16
	return clampU8(r), clampU8(g), clampU8(b)
}

func clampU8(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}

// genericToRGB converts through image.Image.At, for layouts outside libjpeg's.
func genericToRGB(img image.Image, out []uint8) {
	b := img.Bounds()
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out[i], out[i+1], out[i+2] = generic8(img.At(x, y))
			i += 3
		}
	}
}
