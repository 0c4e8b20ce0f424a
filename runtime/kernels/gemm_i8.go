package kernels

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Stack-buffer bounds of the int8 panel path (VNNI).
const (
	maxKCQ    = 256 // quads (4 k values) per block
	maxI8Rows = 512 // rows of A whose row sums are kept at once
)

// GemmI8NT computes C[m×n] = A[m×k]·B[n×k]ᵀ with int8 inputs and exact int32
// accumulation (exact as long as k·128·128 < 2³¹, that is k < 131072). Row-major, with
// leading dimensions lda ≥ k, ldb ≥ k, ldc ≥ n.
func GemmI8NT(m, n, k int, a []int8, lda int, b []int8, ldb int, c []int32, ldc int) {
	checkMat("GemmI8NT", "a", len(a), m, k, lda)
	checkMat("GemmI8NT", "b", len(b), n, k, ldb)
	checkMat("GemmI8NT", "c", len(c), m, n, ldc)
	active.gemmI8NT(m, n, k, a, lda, b, ldb, c, ldc)
}

// PackedBI8 is an int8 B [n×k] rearranged for GemmI8Packed (on VNNI CPUs: panels of
// quads, offset to unsigned). Immutable once built; may be shared by goroutines.
type PackedBI8 struct {
	n, k  int
	nr    int // panel width; 0: plain rows (raw, leading dimension k)
	data  []uint8
	raw   []int8
	wide  []int16 // on AVX2 without VNNI: int16 panels (gemm_i8_madd.go)
	owner isa
}

// N is the number of rows of the packed B (columns of C).
func (p PackedBI8) N() int { return p.n }

// K is the length of the packed B's rows.
func (p PackedBI8) K() int { return p.k }

// PackBI8 packs an int8 B [n×k] (leading dimension ldb) for GemmI8Packed. It
// allocates about n·k bytes.
func PackBI8(n, k int, b []int8, ldb int) PackedBI8 {
	checkMat("PackBI8", "b", len(b), n, k, ldb)
	return active.packBI8(n, k, b, ldb)
}

// GemmI8Packed computes C[m×pb.N()] = A[m×pb.K()]·Bᵀ with B packed by PackBI8.
func GemmI8Packed(m int, a []int8, lda int, pb PackedBI8, c []int32, ldc int) {
	if pb.owner != active.isa || (pb.data == nil && pb.raw == nil && pb.wide == nil && pb.n*pb.k != 0) {
		panic(fmt.Sprintf("kernels.GemmI8Packed: B was not packed by PackBI8 (n=%d, k=%d)", pb.n, pb.k))
	}
	checkMat("GemmI8Packed", "a", len(a), m, pb.k, lda)
	checkMat("GemmI8Packed", "c", len(c), m, pb.n, ldc)
	active.gemmI8Packed(m, a, lda, &pb, c, ldc)
}

func (im *impl) gemmI8NT(m, n, k int, a []int8, lda int, b []int8, ldb int, c []int32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clearRows(c, m, n, ldc)
		return
	}
	if im.i8.madd && m >= im.i8.smallM {
		im.gemmI8Madd(m, n, k, a, lda, nil, b, ldb, c, ldc)
		return
	}
	if !im.i8.micro || m < im.i8.smallM {
		im.gemmI8Dot(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	im.gemmI8Panels(m, n, k, a, lda, nil, b, ldb, c, ldc)
}

func (im *impl) packBI8(n, k int, b []int8, ldb int) PackedBI8 {
	p := PackedBI8{n: n, k: k, owner: im.isa}
	if im.i8.madd {
		packBMadd(&p, b, ldb)
		return p
	}
	if !im.i8.micro {
		p.raw = make([]int8, n*k)
		for j := 0; j < n && k > 0; j++ {
			copy(p.raw[j*k:(j+1)*k], b[j*ldb:j*ldb+k])
		}
		return p
	}
	nr := im.i8.nr
	np := (n + nr - 1) / nr
	kp := (k + 3) &^ 3
	p.nr = nr
	p.data = make([]uint8, np*nr*kp)
	for q := 0; q < np && k > 0; q++ {
		im.packPanelI8(p.data[q*nr*kp:(q+1)*nr*kp], b, ldb, q*nr, min(nr, n-q*nr), 0, k)
	}
	return p
}

func (im *impl) gemmI8Packed(m int, a []int8, lda int, pb *PackedBI8, c []int32, ldc int) {
	n, k := pb.n, pb.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clearRows(c, m, n, ldc)
		return
	}
	if pb.wide != nil {
		im.gemmI8Madd(m, n, k, a, lda, pb, nil, 0, c, ldc)
		return
	}
	if pb.nr == 0 {
		im.gemmI8Dot(m, n, k, a, lda, pb.raw, k, c, ldc)
		return
	}
	im.gemmI8Panels(m, n, k, a, lda, pb, nil, 0, c, ldc)
}

// packPanelI8 packs a panel (see packPanelI8Go), full panels through the assembly
// transpose as far as its 64-byte blocks go.
func (im *impl) packPanelI8(dst []uint8, b []int8, ldb, j0, nw, k0, kw int) {
	nr := im.i8.nr
	done := 0
	if nw == nr {
		done = packPanelI8ASM(im.isa, kw, &b[j0*ldb+k0], ldb, &dst[0])
	}
	if done < kw {
		packPanelI8Go(dst[done*nr:], b, ldb, j0, nw, k0+done, kw-done, nr)
	}
}

// packPanelI8Go writes rows [j0, j0+nw) × columns [k0, k0+kw) of b into dst as quads:
// dst[q·4·nr + 4j + t] = b[j0+j][k0+4q+t] + 128 (as uint8), zero past kw and for
// j ≥ nw. VPDPBUSD multiplies unsigned by signed bytes: B carries the +128 offset
// and A stays signed, so the broadcast operand can be A straight from memory; the
// offset is taken back out with A's row sums.
func packPanelI8Go(dst []uint8, b []int8, ldb, j0, nw, k0, kw, nr int) {
	nq := (kw + 3) / 4
	dst = dst[:nq*4*nr]
	clear(dst)
	full := kw / 4
	for j := range nw {
		row := b[(j0+j)*ldb+k0 : (j0+j)*ldb+k0+kw]
		rb := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(row))), len(row))
		for q := range full {
			v := binary.LittleEndian.Uint32(rb[4*q:]) ^ 0x80808080
			binary.LittleEndian.PutUint32(dst[q*4*nr+4*j:], v)
		}
		for t := full * 4; t < kw; t++ {
			dst[full*4*nr+4*j+t-full*4] = uint8(row[t]) ^ 0x80
		}
	}
}

// gemmI8Panels is the VNNI product: C = A·Bᵀ in blocks of kcq quads × panels of nr
// columns, the micro-kernel initialising its accumulators with −128·(row sum of A).
// pb is nil when B is packed here, panel by panel.
func (im *impl) gemmI8Panels(m, n, k int, a []int8, lda int, pb *PackedBI8, b []int8, ldb int, c []int32, ldc int) {
	if pb == nil {
		var buf [maxKCQ * 4 * maxNR]uint8
		im.gemmI8PanelsBuf(m, n, k, a, lda, nil, b, ldb, c, ldc, &buf)
		return
	}
	im.gemmI8PanelsBuf(m, n, k, a, lda, pb, nil, 0, c, ldc, nil)
}

// gemmI8PanelsBuf is gemmI8Panels with the buffer B's panels are packed into when B is
// not packed already (nil then).
func (im *impl) gemmI8PanelsBuf(m, n, k int, a []int8, lda int, pb *PackedBI8, b []int8, ldb int, c []int32, ldc int, buf *[maxKCQ * 4 * maxNR]uint8) {
	s := &im.i8
	nq := (k + 3) / 4
	var bias [maxI8Rows]int32
	for i0 := 0; i0 < m; i0 += maxI8Rows {
		mc := min(maxI8Rows, m-i0)
		ac, cc := a[i0*lda:], c[i0*ldc:]
		for r := range mc {
			row := ac[r*lda : r*lda+k]
			done, sum := rowSumI8(im.isa, row)
			for _, v := range row[done:] {
				sum += int32(v)
			}
			bias[r] = -128 * sum
		}
		for pq := 0; pq < nq; pq += s.kcq {
			kq := min(s.kcq, nq-pq)
			kb := min(kq*4, k-pq*4) // bytes of each row in this block
			for jp := 0; jp < n; jp += s.nr {
				nw := min(s.nr, n-jp)
				var panel []uint8
				if pb == nil {
					panel = buf[:kq*4*s.nr]
					im.packPanelI8(panel, b, ldb, jp, nw, pq*4, kb)
				} else {
					off := jp*nq*4 + pq*4*s.nr
					panel = pb.data[off : off+kq*4*s.nr]
				}
				im.panelRowsI8(mc, ac[pq*4:], lda, kb, panel, cc, ldc, jp, nw, bias[:mc], pq > 0)
			}
		}
	}
}

// panelRowsI8 runs the micro-kernel over the m rows of a (which starts at the
// block's first column; kb bytes of each row are in the block) against one panel
// block, writing C columns jp..jp+nw.
func (im *impl) panelRowsI8(m int, a []int8, lda, kb int, panel []uint8, c []int32, ldc, jp, nw int, bias []int32, load bool) {
	mr, nr := im.i8.mr, im.i8.nr
	if m < mr {
		im.padRowsI8(m, a, lda, kb, panel, c, ldc, jp, nw, bias, load)
		return
	}
	var tile [maxMR * maxNR]int32
	for i := 0; i < m; i += mr {
		if nw == nr && i+mr <= m {
			im.blockI8(kb, a[i*lda:], lda, panel, &c[i*ldc+jp], ldc, &bias[i], load)
			continue
		}
		base := min(i, m-mr) // a partial last block recomputes rows and keeps the new ones
		if load {
			for r := range mr {
				copy(tile[r*nr:r*nr+nw], c[(base+r)*ldc+jp:(base+r)*ldc+jp+nw])
			}
		}
		im.blockI8(kb, a[base*lda:], lda, panel, &tile[0], nr, &bias[base], load)
		for r := i - base; r < mr; r++ {
			copy(c[(base+r)*ldc+jp:(base+r)*ldc+jp+nw], tile[r*nr:r*nr+nw])
		}
	}
}

// blockI8 runs the micro-kernel on mr rows of a over kb bytes. A partial last quad
// is read from a zero-padded copy, so that nothing past the end of a row is read.
func (im *impl) blockI8(kb int, a []int8, lda int, panel []uint8, c *int32, ldc int, bias *int32, load bool) {
	mr, nr := im.i8.mr, im.i8.nr
	kf, tail := kb/4, kb%4
	if kf > 0 {
		i8Micro(im.isa, kf, &a[0], lda, &panel[0], c, ldc, bias, load)
		load = true
	}
	if tail > 0 {
		var at [maxMR * 4]int8
		for r := range mr {
			copy(at[r*4:r*4+tail], a[r*lda+kf*4:r*lda+kf*4+tail])
		}
		i8Micro(im.isa, 1, &at[0], 4, &panel[kf*4*nr], c, ldc, bias, load)
	}
}

// padRowsI8 handles m < mr: A copied into a zero-padded block, C through a tile.
func (im *impl) padRowsI8(m int, a []int8, lda, kb int, panel []uint8, c []int32, ldc, jp, nw int, bias []int32, load bool) {
	nr := im.i8.nr
	var tile [maxMR * maxNR]int32
	var ap [maxMR * maxKCQ * 4]int8 // zero past kb and for rows ≥ m
	var bp [maxMR]int32
	ld := (kb + 3) &^ 3
	for r := range m {
		copy(ap[r*ld:r*ld+kb], a[r*lda:r*lda+kb])
		if load {
			copy(tile[r*nr:r*nr+nw], c[r*ldc+jp:r*ldc+jp+nw])
		}
		bp[r] = bias[r]
	}
	i8Micro(im.isa, ld/4, &ap[0], ld, &panel[0], &tile[0], nr, &bp[0], load)
	for r := range m {
		copy(c[r*ldc+jp:r*ldc+jp+nw], tile[r*nr:r*nr+nw])
	}
}

// gemmI8Dot is the int8 product by dot tiles, laid out like gemmDotF32.
func (im *impl) gemmI8Dot(m, n, k int, a []int8, lda int, b []int8, ldb int, c []int32, ldc int) {
	rows, w := im.i8.dotRows, im.i8.dotLen
	k0 := k - k%w
	tail := k - k0
	var ap, bp, atp, btp [4]*int8
	var at, bt [4][maxDotLen]int8
	for r := range 4 {
		atp[r], btp[r] = &at[r][0], &bt[r][0]
	}
	for j := 0; j < n; j += 4 {
		for r := range 4 {
			row := min(j+r, n-1) * ldb
			bp[r] = &b[row]
			copy(bt[r][:tail], b[row+k0:row+k])
		}
		for i := 0; i < m; i += rows {
			for r := range 4 {
				row := min(i+r, m-1) * lda
				ap[r] = &a[row]
				copy(at[r][:tail], a[row+k0:row+k])
			}
			var out [16]int32
			if k0 > 0 {
				i8DotTile(im.isa, k0, &ap, &bp, &out)
			}
			if tail > 0 {
				var t [16]int32
				i8DotTile(im.isa, w, &atp, &btp, &t)
				for q := range out {
					out[q] += t[q]
				}
			}
			for r := 0; r < rows && i+r < m; r++ {
				copy(c[(i+r)*ldc+j:(i+r)*ldc+min(j+4, n)], out[r*4:])
			}
		}
	}
}
