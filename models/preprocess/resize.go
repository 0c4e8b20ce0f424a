package preprocess

import (
	"fmt"
	"math"
)

// precisionBits is PIL's PRECISION_BITS (32 - 8 - 2): 8 bits of result and
// 2 of headroom for the bicubic kernel's negative lobes and overshoot.
const precisionBits = 22

// bicubicSupport is the kernel radius at scale 1 (PIL's BICUBIC.support).
const bicubicSupport = 2.0

// bicubic is PIL's bicubic_filter with a = -0.5. The float64 conversions stop
// Go from fusing multiply-adds (it may on arm64), which C on x86-64 does not
// do, so the coefficients match PIL's bit for bit on every GOARCH.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		t := float64((a+2)*x) - (a + 3)
		return float64(float64(t*x)*x) + 1
	}
	if x < 2 {
		t := float64((x-5)*x) + 8
		t = float64(t*x) - 4
		return t * a
	}
	return 0
}

// axis holds PIL's fixed-point filter for one axis and one (in, out) pair.
type axis struct {
	in, out int
	ksize   int     // taps reserved per output sample
	lo, n   []int32 // first input sample and number of taps, per output sample
	k       []int32 // out×ksize coefficients, scaled by 2^precisionBits
	scratch []float64
}

// prepare computes the coefficients as precompute_coeffs and
// normalize_coeffs_8bpc do in Resample.c, unless they are already cached.
func (a *axis) prepare(in, out int) {
	if a.in == in && a.out == out && a.k != nil {
		return
	}
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1) // widen the kernel when shrinking: antialiasing
	support := bicubicSupport * filterscale
	ksize := int(math.Ceil(support))*2 + 1

	a.in, a.out, a.ksize = in, out, ksize
	a.lo = grow(a.lo, out)
	a.n = grow(a.n, out)
	a.k = grow(a.k, out*ksize)
	a.scratch = grow(a.scratch, ksize)
	w := a.scratch
	ss := 1 / filterscale
	for xx := 0; xx < out; xx++ {
		center := float64((float64(xx) + 0.5) * scale)
		// C's (int) truncates toward zero, as Go's conversion does.
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), in) - xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			w[x] = bicubic((float64(x+xmin) - center + 0.5) * ss)
			ww += w[x]
		}
		k := a.k[xx*ksize : (xx+1)*ksize]
		clear(k)
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		a.lo[xx], a.n[xx] = int32(xmin), int32(xmax)
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// clip8 is PIL's clip8: drop the fraction (arithmetic shift), clamp to 0..255.
func clip8(s int32) uint8 {
	return uint8(min(max(s>>precisionBits, 0), 255))
}

// Resizer resizes RGB images exactly as PIL's Image.resize(size, BICUBIC).
// It caches the coefficients of the last size pair and its intermediate
// buffer, so resizing a stream of same-sized frames allocates nothing.
// A Resizer is not safe for concurrent use.
type Resizer struct {
	horiz, vert axis
	tmp         []uint8 // horizontal pass output
	rg          []int64 // one source row, R and G packed (see horizontalPass)
	b           []uint8 // one source row, B
}

// Resize resamples src to w×h into dst, reusing dst's buffer when it is
// large enough. As in PIL, an axis whose size does not change is not
// filtered at all, and the horizontal pass runs first into an 8-bit image.
func (r *Resizer) Resize(src *RGB, w, h int, dst *RGB) error {
	if err := src.check(); err != nil {
		return err
	}
	if err := checkSize(w, h); err != nil {
		return fmt.Errorf("preprocess: resize to %dx%d: %w", w, h, err)
	}
	if dst == nil || dst == src {
		return fmt.Errorf("preprocess: resize needs a destination distinct from the source")
	}
	dst.reshape(w, h)
	needH, needV := w != src.W, h != src.H
	if !needH && !needV {
		copy(dst.Pix, src.Pix)
		return nil
	}
	inter, y0 := src.Pix, 0
	if needH {
		r.horiz.prepare(src.W, w)
		y1 := src.H
		if needV {
			// Only the rows the vertical pass reads (PIL's ybox_first/last).
			r.vert.prepare(src.H, h)
			y0 = int(r.vert.lo[0])
			y1 = int(r.vert.lo[h-1] + r.vert.n[h-1])
		}
		out := dst.Pix
		if needV {
			r.tmp = grow(r.tmp, 3*w*(y1-y0))
			out = r.tmp
		}
		r.rg, r.b = grow(r.rg, src.W), grow(r.b, src.W)
		horizontalPass(out, src.Pix, r.rg, r.b, src.W, y0, y1, &r.horiz)
		inter = out
	}
	if needV {
		r.vert.prepare(src.H, h)
		verticalPass(dst.Pix, inter, 3*w, y0, &r.vert)
	}
	return nil
}

// horizontalPass filters rows y0..y1-1 of src (width sw) into dst.
// Each source row is first unpacked into rg (R in the low 32 bits, G in the
// high 32 bits of one int64) and b, so that one 64-bit multiply-add serves
// two channels: both lanes' sums fit in 32 bits, so they come apart exactly.
// rg and b must hold sw values.
func horizontalPass(dst, src []uint8, rg []int64, b []uint8, sw, y0, y1 int, a *axis) {
	dw := a.out
	rg, b = rg[:sw], b[:sw]
	for y := y0; y < y1; y++ {
		row := src[3*sw*y : 3*sw*(y+1)]
		for x := range rg {
			q := row[3*x : 3*x+3 : 3*x+3]
			rg[x] = int64(q[0]) | int64(q[1])<<32
			b[x] = q[2]
		}
		horizontalRow(dst[3*dw*(y-y0):3*dw*(y-y0+1)], rg, b, a)
	}
}

// horizontalRow filters one unpacked row into o (interleaved RGB).
func horizontalRow(o []uint8, rg []int64, b []uint8, a *axis) {
	ks := a.ksize
	for xx := 0; xx < a.out; xx++ {
		lo, n := int(a.lo[xx]), int(a.n[xx])
		k := a.k[xx*ks : xx*ks+n]
		s01, s2 := dot2x1(rg[lo:lo+n], b[lo:lo+n], k)
		s0 := int32(s01)                     // low lane, as a signed 32-bit sum
		s1 := int32((s01 - int64(s0)) >> 32) // high lane, after the low lane's borrow
		q := o[3*xx : 3*xx+3 : 3*xx+3]
		q[0], q[1], q[2] = clip8(s0), clip8(s1), clip8(s2)
	}
}

// dot2x1 is one output pixel: the rounding offset plus Σ p[i]·k[i], with R
// and G packed in one int64 lane pair.
//
//go:noinline
func dot2x1(rg []int64, b []uint8, k []int32) (int64, int32) {
	const half = 1 << (precisionBits - 1)
	rg, b = rg[:len(k)], b[:len(k)] // lets the compiler drop bounds checks
	s01, s2 := int64(half|half<<32), int32(half)
	for i, kv := range k {
		s01 += rg[i] * int64(kv)
		s2 += int32(b[i]) * kv
	}
	return s01, s2
}

// verticalPass filters src (rows of rowLen bytes, the first being input row
// y0) into dst.
func verticalPass(dst, src []uint8, rowLen, y0 int, a *axis) {
	ks := a.ksize
	for yy := 0; yy < a.out; yy++ {
		lo, n := int(a.lo[yy])-y0, int(a.n[yy])
		k := a.k[yy*ks : yy*ks+n]
		o := dst[rowLen*yy : rowLen*(yy+1)]
		verticalRow(o, src[rowLen*lo:rowLen*(lo+n)], k)
	}
}

// verticalRow computes one output row from the n input rows in rows, four
// columns at a time so that each coefficient load serves four sums.
func verticalRow(o, rows []uint8, k []int32) {
	const half = 1 << (precisionBits - 1)
	rowLen := len(o)
	j := 0
	for ; j+4 <= rowLen; j += 4 {
		s0, s1, s2, s3 := int32(half), int32(half), int32(half), int32(half)
		off := j
		for _, kv := range k {
			q := rows[off : off+4 : off+4]
			s0 += int32(q[0]) * kv
			s1 += int32(q[1]) * kv
			s2 += int32(q[2]) * kv
			s3 += int32(q[3]) * kv
			off += rowLen
		}
		q := o[j : j+4 : j+4]
		q[0], q[1], q[2], q[3] = clip8(s0), clip8(s1), clip8(s2), clip8(s3)
	}
	for ; j < rowLen; j++ {
		s := int32(half)
		for i, kv := range k {
			s += int32(rows[i*rowLen+j]) * kv
		}
		o[j] = clip8(s)
	}
}

// ResizeBicubic returns src resized to w×h exactly as PIL's
// Image.resize((w, h), Image.BICUBIC) does for an RGB image.
// It returns nil when src is malformed or w×h is not a valid size.
func ResizeBicubic(src *RGB, w, h int) *RGB {
	var r Resizer
	dst := &RGB{}
	if r.Resize(src, w, h, dst) != nil {
		return nil
	}
	return dst
}
