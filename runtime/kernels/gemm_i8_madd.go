package kernels

import "sync"

// The int8 product on AVX2 CPUs without VNNI (and AVX-512 ones without it): B packed
// once as int16 in panels of 16 columns, A widened to int16 rows per call, and a 3×16
// kernel of VPMADDWD (i8_madd_amd64.s). Against the 2×4 dot tiles it replaces, whose
// horizontal sums and Go loop cost as much as their products at the image path's short
// rows (k = 192), it keeps 12 accumulators across k and sums pairs once at the end.

const (
	maddMR = 3  // rows per kernel call
	maddNR = 16 // columns per panel
)

// maddColumn maps slot s of panel vector c (four columns of 8 bytes each, two per
// 128-bit half) to its column: VPHADDD of vectors 0 and 1 then gives columns 0..7 in
// order, of 2 and 3 columns 8..15.
func maddColumn(c, s int) int { return 8*(c/2) + 2*(c%2) + s%2 + 4*(s/2) }

// packPanelMadd writes rows [j0, j0+nw) × columns [0, k) of b into dst as int16:
// dst[q·64 + c·16 + s·4 + t] = b[j0+maddColumn(c, s)][4q+t], zero past k and for
// columns ≥ nw. dst holds kp·16 values, kp = k rounded up to 4.
func packPanelMadd(dst []int16, b []int8, ldb, j0, nw, k int) {
	kq := (k + 3) / 4
	dst = dst[:kq*64]
	clear(dst)
	for c := range 4 {
		for s := range 4 {
			col := maddColumn(c, s)
			if col >= nw {
				continue
			}
			row := b[(j0+col)*ldb : (j0+col)*ldb+k]
			for kk, v := range row {
				dst[(kk/4)*64+c*16+s*4+kk%4] = int16(v)
			}
		}
	}
}

// packBMadd packs b [n×k] into int16 panels for gemmI8Madd.
func packBMadd(p *PackedBI8, b []int8, ldb int) {
	kp := (p.k + 3) &^ 3
	np := (p.n + maddNR - 1) / maddNR
	p.nr = maddNR
	p.wide = make([]int16, np*maddNR*kp)
	for q := 0; q < np && p.k > 0; q++ {
		packPanelMadd(p.wide[q*maddNR*kp:(q+1)*maddNR*kp], b, ldb, q*maddNR, min(maddNR, p.n-q*maddNR), p.k)
	}
}

var wideScratch = sync.Pool{New: func() any { return new([]int16) }}

func getWide(n int) *[]int16 {
	p := wideScratch.Get().(*[]int16)
	if cap(*p) < n {
		*p = make([]int16, n)
	}
	*p = (*p)[:n]
	return p
}

// gemmI8Madd computes C[m×n] = A·Bᵀ with B packed by packBMadd (pb) or, when pb is
// nil, packed here panel by panel from b.
func (im *impl) gemmI8Madd(m, n, k int, a []int8, lda int, pb *PackedBI8, b []int8, ldb int, c []int32, ldc int) {
	kp := (k + 3) &^ 3
	rows := max(m, maddMR) // fewer rows than the kernel's: zero rows, results dropped
	ap := getWide(rows * kp)
	defer wideScratch.Put(ap)
	aw := *ap
	for r := range m {
		widenI8(a[r*lda:r*lda+k], aw[r*kp:r*kp+k])
		clear(aw[r*kp+k : (r+1)*kp])
	}
	clear(aw[m*kp:])
	var pp *[]int16
	if pb == nil {
		pp = getWide(maddNR * kp)
		defer wideScratch.Put(pp)
	}
	var tile [maddMR * maddNR]int32
	for jp := 0; jp < n; jp += maddNR {
		nw := min(maddNR, n-jp)
		var panel []int16
		if pb == nil {
			panel = *pp
			packPanelMadd(panel, b, ldb, jp, nw, k)
		} else {
			panel = pb.wide[jp*kp : jp*kp+maddNR*kp]
		}
		for i := 0; i < m; i += maddMR {
			if nw == maddNR && i+maddMR <= m {
				i8MaddMicro(kp/4, &aw[i*kp], kp, &panel[0], &c[i*ldc+jp], ldc)
				continue
			}
			base := min(i, rows-maddMR) // a partial last block recomputes rows, keeps the new ones
			i8MaddMicro(kp/4, &aw[base*kp], kp, &panel[0], &tile[0], maddNR)
			for r := i - base; r < maddMR && base+r < m; r++ {
				copy(c[(base+r)*ldc+jp:(base+r)*ldc+jp+nw], tile[r*maddNR:r*maddNR+nw])
			}
		}
	}
}
