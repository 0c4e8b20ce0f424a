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

	// The coefficients laid out for the vector horizontal kernel (see
	// expand), when the kernel set has one.
	kx     []int32
	xg     int // groups of ppg taps per output sample
	xlanes int // int32 lanes per group: ppg pixels × 3 channels, zero padded
	xread  int // bytes a row must hold (len plus readable capacity)
}

// prepare computes the coefficients as precompute_coeffs and
// normalize_coeffs_8bpc do in Resample.c, unless they are already cached.
func (a *axis) prepare(in, out int) {
	if a.in == in && a.out == out && a.k != nil {
		if a.xlanes != hLayout.lanes {
			a.expand(hLayout.lanes, hLayout.ppg)
		}
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
	a.expand(hLayout.lanes, hLayout.ppg)
}

// hLayout is the coefficient layout of the horizontal kernel in use:
// groups of ppg taps, each tap's coefficient repeated for R, G and B, in
// vectors of lanes int32 (0: the portable kernel, no layout).
var hLayout struct{ lanes, ppg int }

// expand lays the coefficients out for a vector horizontal kernel that
// multiplies the bytes of ppg consecutive source pixels, widened to int32
// lanes, by one vector of coefficients: lane 3t+c of group g holds tap
// g·ppg+t's coefficient (zero past the sample's taps and in the spare
// lanes), so the lanes of channel c summed are channel c's sum. The kernel
// reads `lanes` bytes at the group's first pixel, so a row must be readable
// up to xread bytes.
func (a *axis) expand(lanes, ppg int) {
	a.xlanes = lanes
	if lanes == 0 {
		return
	}
	g := (a.ksize + ppg - 1) / ppg
	a.xg = g
	a.kx = grow(a.kx, a.out*g*lanes)
	clear(a.kx)
	a.xread = 0
	for xx := 0; xx < a.out; xx++ {
		n := int(a.n[xx])
		for t := 0; t < n; t++ {
			kv := a.k[xx*a.ksize+t]
			base := (xx*g+t/ppg)*lanes + 3*(t%ppg)
			a.kx[base], a.kx[base+1], a.kx[base+2] = kv, kv, kv
		}
		a.xread = max(a.xread, 3*int(a.lo[xx])+3*ppg*(g-1)+lanes)
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
// It caches the coefficients of the last size pair, its intermediate
// buffer and per-thread row buffers, so resizing a stream of same-sized
// frames allocates nothing. A Resizer is not safe for concurrent use; its
// own work is spread over SetThreads goroutines (1 unless set).
type Resizer struct {
	horiz, vert axis
	tmp         []uint8 // horizontal pass output
	team        team
	ws          []rowScratch // one per thread

	// The frame in flight (see begin).
	src          []uint8 // packed RGB source, or nil when reading x4
	x4           []uint8 // 4-byte-pixel source (RGBA/NRGBA) converted row by row
	x4off, x4str int
	x4premul     bool
	sw, sh       int
	dst          *RGB
	inter        []uint8 // vertical pass input
	y0, y1       int     // source rows the horizontal pass filters
	needH, needV bool
	hStep, vStep func(part, parts int)
}

// rowScratch is one thread's row buffers.
type rowScratch struct {
	rg  []int64 // one source row, R and G packed (see horizontalRowGo)
	b   []uint8 // one source row, B
	row []uint8 // one source row as packed RGB, with room for SIMD over-reads
	pad []uint8 // a copy of a row too close to its buffer's end for the vector kernel
}

// padRow returns row, or a copy of it in ws.pad, readable up to n bytes
// (in len and cap) as the vector horizontal kernels need.
func padRow(row []uint8, n int, ws *rowScratch) []uint8 {
	if cap(row) >= n {
		return row[:n]
	}
	ws.pad = grow(ws.pad, n)
	copy(ws.pad, row)
	return ws.pad
}

// SetThreads sets how many goroutines (1..8) a resize runs on.
func (r *Resizer) SetThreads(n int) {
	r.team.setThreads(n)
	if len(r.ws) < r.team.n {
		r.ws = append(r.ws, make([]rowScratch, r.team.n-len(r.ws))...)
	}
}

// Resize resamples src to w×h into dst, reusing dst's buffer when it is
// large enough. As in PIL, an axis whose size does not change is not
// filtered at all, and the horizontal pass runs first into an 8-bit image.
func (r *Resizer) Resize(src *RGB, w, h int, dst *RGB) error {
	if err := src.check(); err != nil {
		return err
	}
	if dst == src {
		return fmt.Errorf("preprocess: resize needs a destination distinct from the source")
	}
	if err := r.begin(src.Pix, src.W, src.H, w, h, dst); err != nil {
		return err
	}
	if !r.needH && !r.needV {
		copy(dst.Pix, src.Pix)
		return nil
	}
	r.passes()
	return nil
}

// begin checks the sizes and plans the resize of an sw×sh image to w×h:
// coefficients, intermediate buffer, the rows the horizontal pass must
// produce. src is the packed RGB source; nil means r.x4 (set by the caller).
func (r *Resizer) begin(src []uint8, sw, sh, w, h int, dst *RGB) error {
	if err := checkSize(w, h); err != nil {
		return fmt.Errorf("preprocess: resize to %dx%d: %w", w, h, err)
	}
	if dst == nil {
		return fmt.Errorf("preprocess: resize needs a destination distinct from the source")
	}
	if r.team.n == 0 {
		r.SetThreads(1)
	}
	if r.hStep == nil {
		r.hStep, r.vStep = r.horizontalStep, r.verticalStep
	}
	dst.reshape(w, h)
	r.src, r.sw, r.sh, r.dst = src, sw, sh, dst
	if src != nil {
		r.x4 = nil
	}
	r.needH, r.needV = w != sw, h != sh
	r.inter, r.y0, r.y1 = src, 0, sh
	if r.needV {
		r.vert.prepare(sh, h)
		// Only the rows the vertical pass reads (PIL's ybox_first/last).
		r.y0 = int(r.vert.lo[0])
		r.y1 = int(r.vert.lo[h-1] + r.vert.n[h-1])
	}
	if r.needH {
		r.horiz.prepare(sw, w)
		r.inter = dst.Pix
		if r.needV {
			r.tmp = grow(r.tmp, 3*w*(r.y1-r.y0))
			r.inter = r.tmp
		}
	} else {
		r.y0 = 0 // the vertical pass reads the source as it is
	}
	return nil
}

// passes runs the planned passes on the team.
func (r *Resizer) passes() {
	if r.needH {
		r.team.run(r.hStep)
	}
	if r.needV {
		r.team.run(r.vStep)
	}
}

// horizontalStep filters this part's share of the rows y0..y1-1.
func (r *Resizer) horizontalStep(part, parts int) {
	ys, ye := span(r.y0, r.y1, part, parts)
	ws := &r.ws[part]
	ow := 3 * r.horiz.out
	for y := ys; y < ye; y++ {
		row := r.sourceRow(y, ws)
		horizontalRow(r.inter[ow*(y-r.y0):ow*(y-r.y0+1)], row, &r.horiz, ws)
	}
}

// verticalStep computes this part's share of the output rows.
func (r *Resizer) verticalStep(part, parts int) {
	a, b := span(0, r.vert.out, part, parts)
	r.verticalRows(a, b)
}

// verticalRows computes output rows a..b-1 from the intermediate image.
func (r *Resizer) verticalRows(a, b int) {
	rowLen := 3 * r.dst.W
	ks := r.vert.ksize
	for yy := a; yy < b; yy++ {
		lo, n := int(r.vert.lo[yy])-r.y0, int(r.vert.n[yy])
		k := r.vert.k[yy*ks : yy*ks+n]
		verticalRow(r.dst.Pix[rowLen*yy:rowLen*(yy+1)], r.inter[rowLen*lo:rowLen*(lo+n)], k)
	}
}

// sourceRow returns source row y as packed RGB, converting it into ws.row
// when the source has 4-byte pixels.
func (r *Resizer) sourceRow(y int, ws *rowScratch) []uint8 {
	n := 3 * r.sw
	if r.src != nil {
		return r.src[n*y : n*(y+1)]
	}
	ws.row = grow(ws.row, n+rowSlack)
	off := r.x4off + y*r.x4str
	rgbxRow(ws.row[:n], r.x4[off:off+4*r.sw], r.x4premul)
	return ws.row[:n]
}

// rowSlack is the room kept after a converted row for vector over-reads.
const rowSlack = 256

// horizontalRowGo filters one packed RGB source row into o. The row is
// first unpacked into rg (R in the low 32 bits, G in the high 32 bits of one
// int64) and b, so that one 64-bit multiply-add serves two channels: both
// lanes' sums fit in 32 bits, so they come apart exactly.
func horizontalRowGo(o, row []uint8, a *axis, ws *rowScratch) {
	sw := len(row) / 3
	ws.rg, ws.b = grow(ws.rg, sw), grow(ws.b, sw)
	rg, b := ws.rg, ws.b
	for x := range rg {
		q := row[3*x : 3*x+3 : 3*x+3]
		rg[x] = int64(q[0]) | int64(q[1])<<32
		b[x] = q[2]
	}
	horizontalUnpacked(o, rg, b, a)
}

// horizontalUnpacked filters one unpacked row into o (interleaved RGB).
func horizontalUnpacked(o []uint8, rg []int64, b []uint8, a *axis) {
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

// verticalRowGo computes one output row from the n input rows in rows, four
// columns at a time so that each coefficient load serves four sums.
func verticalRowGo(o, rows []uint8, k []int32) {
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
	verticalCols(o, rows, k, j)
}

// verticalCols computes o[j0:] as verticalRowGo does, one column at a time.
func verticalCols(o, rows []uint8, k []int32, j0 int) {
	const half = 1 << (precisionBits - 1)
	rowLen := len(o)
	for j := j0; j < rowLen; j++ {
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

// The row kernels; kernels_*.go replace them with vector code where the
// CPU has it. horizontalRow filters one packed RGB row (len 3·in) into o
// (len 3·out); verticalRow computes o[j] from len(k) rows of len(o) bytes.
var (
	horizontalRow = horizontalRowGo
	verticalRow   = verticalRowGo
)
