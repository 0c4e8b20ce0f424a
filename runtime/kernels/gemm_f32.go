package kernels

import "fmt"

// Upper bounds of the shapes in f32Shape, for the stack buffers of the drivers.
const (
	maxMR     = 12
	maxNR     = 32
	maxKC     = 256
	maxDotLen = 16
)

// GemmNT computes C[m×n] = A[m×k]·B[n×k]ᵀ, or C += A·Bᵀ when accumulate is set:
// a Linear layer with its weight B stored [out, in]. A, B and C are row-major with
// leading dimensions lda ≥ k, ldb ≥ k and ldc ≥ n.
//
// Small m (decode) streams each row of B once; larger m packs B into panels per
// call and runs a register-blocked kernel. When the same B is used many times, pack
// it once with PackB and call GemmPacked.
func GemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkMat("GemmNT", "a", len(a), m, k, lda)
	checkMat("GemmNT", "b", len(b), n, k, ldb)
	checkMat("GemmNT", "c", len(c), m, n, ldc)
	active.gemmNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}

// PackedB is a B [n×k] rearranged into the panels GemmPacked reads: B transposed in
// strips of a few rows, laid out for the register-blocked kernel of this CPU. It is
// immutable once built and may be shared by goroutines.
type PackedB struct {
	n, k, nr int
	data     []float32
}

// N is the number of rows of the packed B (columns of C).
func (p PackedB) N() int { return p.n }

// K is the length of the packed B's rows.
func (p PackedB) K() int { return p.k }

// PackB packs B [n×k] (leading dimension ldb) for GemmPacked. It allocates about
// n·k floats.
func PackB(n, k int, b []float32, ldb int) PackedB {
	checkMat("PackB", "b", len(b), n, k, ldb)
	return active.packB(n, k, b, ldb)
}

// GemmPacked computes C[m×pb.N()] (= or +=) A[m×pb.K()]·Bᵀ with B packed by PackB.
func GemmPacked(m int, a []float32, lda int, pb PackedB, c []float32, ldc int, accumulate bool) {
	if pb.nr != active.f32.nr {
		panic(fmt.Sprintf("kernels.GemmPacked: B was not packed by PackB (panel width %d, want %d)", pb.nr, active.f32.nr))
	}
	checkMat("GemmPacked", "a", len(a), m, pb.k, lda)
	checkMat("GemmPacked", "c", len(c), m, pb.n, ldc)
	active.gemmPacked(m, a, lda, &pb, c, ldc, accumulate)
}

func (im *impl) gemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			clearRows(c, m, n, ldc)
		}
		return
	}
	s := &im.f32
	if m < s.mr || s.useDot(m, k) { // (every set's smallM is at least its mr)
		im.gemmDotF32(m, n, k, a, lda, b, ldb, c, ldc, acc)
		return
	}
	// k outer, panels inside: the m×kc block of A stays in L2 while every panel of B
	// (kc×nr, packed once into L1-sized buf) meets all of it.
	var buf [maxKC * maxNR]float32
	for pc := 0; pc < k; pc += s.kc {
		kw := min(s.kc, k-pc)
		for jp := 0; jp < n; jp += s.nr {
			nw := min(s.nr, n-jp)
			panel := buf[:kw*s.nr]
			im.packPanelF32(panel, b, ldb, jp, nw, pc, kw)
			im.panelRowsF32(m, a, lda, pc, kw, panel, c, ldc, jp, nw, acc || pc > 0)
		}
	}
}

func (im *impl) packB(n, k int, b []float32, ldb int) PackedB {
	nr := im.f32.nr
	np := (n + nr - 1) / nr
	p := PackedB{n: n, k: k, nr: nr, data: make([]float32, np*nr*k)}
	for q := 0; q < np && k > 0; q++ {
		im.packPanelF32(p.data[q*nr*k:(q+1)*nr*k], b, ldb, q*nr, min(nr, n-q*nr), 0, k)
	}
	return p
}

func (im *impl) gemmPacked(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc bool) {
	n, k := pb.n, pb.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			clearRows(c, m, n, ldc)
		}
		return
	}
	s := &im.f32
	if m < s.mr {
		im.gemmPackedFewRows(m, a, lda, pb, c, ldc, acc)
		return
	}
	for pc := 0; pc < k; pc += s.kc {
		kw := min(s.kc, k-pc)
		for jp := 0; jp < n; jp += s.nr {
			off := jp*k + pc*s.nr // panel jp/nr starts at (jp/nr)·nr·k
			panel := pb.data[off : off+kw*s.nr]
			im.panelRowsF32(m, a, lda, pc, kw, panel, c, ldc, jp, min(s.nr, n-jp), acc || pc > 0)
		}
	}
}

// gemmPackedFewRows is gemmPacked for fewer than mr rows (the last query block of an
// attention head, a short prompt): A's block is copied into an mr-row block once per kc
// columns and every panel runs the micro-kernel on it. Copying it per panel, into a
// zeroed 12 KB stack block each time, took 1.5 % of the shapes
// model's image path.
// The rows past m hold whatever the block held; their results are never stored.
func (im *impl) gemmPackedFewRows(m int, a []float32, lda int, pb *PackedB, c []float32, ldc int, acc bool) {
	n, k := pb.n, pb.k
	s := &im.f32
	var ap [maxMR * maxKC]float32
	var tile [maxMR * maxNR]float32
	for pc := 0; pc < k; pc += s.kc {
		kw := min(s.kc, k-pc)
		for r := range m {
			copy(ap[r*kw:(r+1)*kw], a[r*lda+pc:r*lda+pc+kw])
		}
		load := acc || pc > 0
		for jp := 0; jp < n; jp += s.nr {
			nw := min(s.nr, n-jp)
			off := jp*k + pc*s.nr
			if load {
				for r := range m {
					copy(tile[r*s.nr:r*s.nr+nw], c[r*ldc+jp:r*ldc+jp+nw])
				}
			}
			f32Micro(im.isa, kw, &ap[0], kw, &pb.data[off], &tile[0], s.nr, load)
			for r := range m {
				copy(c[r*ldc+jp:r*ldc+jp+nw], tile[r*s.nr:r*s.nr+nw])
			}
		}
	}
}

// packPanelF32 writes rows [j0, j0+nw) × columns [k0, k0+kw) of b transposed into
// dst: dst[kk·nr + j] = b[j0+j][k0+kk], with zeros for j ≥ nw. Full panels go
// through the assembly transpose (as many columns as its block size allows).
func (im *impl) packPanelF32(dst, b []float32, ldb, j0, nw, k0, kw int) {
	nr := im.f32.nr
	done := 0
	if nw == nr {
		done = packPanel(im.isa, kw, &b[j0*ldb+k0], ldb, &dst[0])
	}
	if done < kw {
		packPanelGo(dst[done*nr:], b, ldb, j0, nw, k0+done, kw-done, nr)
	}
}

func packPanelGo(dst, b []float32, ldb, j0, nw, k0, kw, nr int) {
	dst = dst[:kw*nr]
	for j := range nw {
		row := b[(j0+j)*ldb+k0 : (j0+j)*ldb+k0+kw]
		for kk, v := range row {
			dst[kk*nr+j] = v
		}
	}
	if nw < nr {
		for kk := range kw {
			clear(dst[kk*nr+nw : kk*nr+nr])
		}
	}
}

// panelRowsF32 runs the micro-kernel over all m rows of A (columns pc..pc+kw) against
// one packed panel, writing C columns jp..jp+nw.
func (im *impl) panelRowsF32(m int, a []float32, lda, pc, kw int, panel, c []float32, ldc, jp, nw int, load bool) {
	mr := im.f32.mr
	i := 0
	if nw == im.f32.nr {
		for ; i+mr <= m; i += mr {
			f32Micro(im.isa, kw, &a[i*lda+pc], lda, &panel[0], &c[i*ldc+jp], ldc, load)
		}
	}
	if i < m {
		im.panelTailF32(m, i, a, lda, pc, kw, panel, c, ldc, jp, nw, load)
	}
}

// panelTailF32 handles the rows from i0 on through a stack tile: a partial last
// row block (recomputing the last mr rows and keeping only the new ones) or a narrow
// last panel. m is at least mr: fewer rows go through gemmPackedFewRows (gemmNT gives
// them to the dot tiles).
func (im *impl) panelTailF32(m, i0 int, a []float32, lda, pc, kw int, panel, c []float32, ldc, jp, nw int, load bool) {
	mr, nr := im.f32.mr, im.f32.nr
	var tile [maxMR * maxNR]float32
	for i := i0; i < m; i += mr {
		base := min(i, m-mr)
		if load {
			for r := range mr {
				copy(tile[r*nr:r*nr+nw], c[(base+r)*ldc+jp:(base+r)*ldc+jp+nw])
			}
		}
		f32Micro(im.isa, kw, &a[base*lda+pc], lda, &panel[0], &tile[0], nr, load)
		for r := i - base; r < mr; r++ {
			copy(c[(base+r)*ldc+jp:(base+r)*ldc+jp+nw], tile[r*nr:r*nr+nw])
		}
	}
}

// gemmDotF32 is the small-m product: dot tiles of dotRows A rows × 4 B rows, B rows
// outside so that each is read from memory once. Rows past the end repeat the last
// row (in bounds; their results are dropped). The k % dotLen tail goes through
// zero-padded copies.
func (im *impl) gemmDotF32(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	rows, w := im.f32.dotRows, im.f32.dotLen
	k0 := k - k%w
	tail := k - k0
	var ap, bp, atp, btp [4]*float32
	var at, bt [4][maxDotLen]float32
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
			var out [16]float32
			if k0 > 0 {
				f32DotTile(im.isa, k0, &ap, &bp, &out)
			}
			if tail > 0 {
				var t [16]float32
				f32DotTile(im.isa, w, &atp, &btp, &t)
				for q := range out {
					out[q] += t[q]
				}
			}
			for r := 0; r < rows && i+r < m; r++ {
				crow := c[(i+r)*ldc+j : (i+r)*ldc+min(j+4, n)]
				for q := range crow {
					if acc {
						crow[q] += out[r*4+q]
					} else {
						crow[q] = out[r*4+q]
					}
				}
			}
		}
	}
}
