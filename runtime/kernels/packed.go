package kernels

import "fmt"

// Views and other ways to build packed B matrices, for callers that split a product
// by columns across cores or whose B is stored transposed.

// NR is the panel width: Cols splits at multiples of it.
func (p PackedB) NR() int { return p.nr }

// Cols returns the rows [lo, hi) of the packed B (columns lo..hi of C) as a PackedB
// sharing memory; lo must be a multiple of NR(). Goroutines that each take a range
// of columns can share one packed weight this way.
func (p PackedB) Cols(lo, hi int) PackedB {
	if lo < 0 || hi > p.n || lo > hi || (p.nr > 0 && lo%p.nr != 0) {
		panic(fmt.Sprintf("kernels.PackedB.Cols: [%d,%d) of %d rows, panel width %d", lo, hi, p.n, p.nr))
	}
	if lo == hi {
		return PackedB{n: 0, k: p.k, nr: p.nr}
	}
	end := min((hi+p.nr-1)/p.nr*p.nr, len(p.data)/max(p.k, 1))
	return PackedB{n: hi - lo, k: p.k, nr: p.nr, data: p.data[lo*p.k : end*p.k]}
}

// PackedSize is the number of floats PackBT needs in dst for a B [n×k].
func PackedSize(n, k int) int {
	nr := active.f32.nr
	return (n + nr - 1) / nr * nr * k
}

// PackBT packs B [n×k] given as its transpose bt [k×n] (leading dimension ldbt):
// the right operand of P·V in attention, where V is stored [tokens, dims]. The
// panels are plain row copies of bt. It writes into dst when dst holds
// PackedSize(n, k) floats (a reusable scratch buffer) and allocates otherwise.
func PackBT(n, k int, bt []float32, ldbt int, dst []float32) PackedB {
	checkMat("PackBT", "bt", len(bt), k, n, ldbt)
	nr := active.f32.nr
	size := PackedSize(n, k)
	if len(dst) < size {
		dst = make([]float32, size)
	}
	p := PackedB{n: n, k: k, nr: nr, data: dst[:size]}
	for j0 := 0; j0 < n; j0 += nr {
		nw := min(nr, n-j0)
		panel := p.data[j0*k : (j0+nr)*k]
		for kk := range k {
			row := panel[kk*nr : kk*nr+nr]
			copy(row, bt[kk*ldbt+j0:kk*ldbt+j0+nw])
			clear(row[nw:])
		}
	}
	return p
}

// Cols is PackedB.Cols for int8: rows [lo, hi) of B; lo a multiple of the panel
// width (any lo when B is kept in plain rows).
func (p PackedBI8) Cols(lo, hi int) PackedBI8 {
	if lo < 0 || hi > p.n || lo > hi || (p.nr > 0 && lo%p.nr != 0) {
		panic(fmt.Sprintf("kernels.PackedBI8.Cols: [%d,%d) of %d rows, panel width %d", lo, hi, p.n, p.nr))
	}
	q := PackedBI8{n: hi - lo, k: p.k, nr: p.nr, owner: p.owner}
	if lo == hi {
		return q
	}
	if p.nr == 0 {
		q.raw = p.raw[lo*p.k : hi*p.k]
		return q
	}
	kp := (p.k + 3) &^ 3
	if p.wide != nil {
		end := min((hi+p.nr-1)/p.nr*p.nr, len(p.wide)/max(kp, 1))
		q.wide = p.wide[lo*kp : end*kp]
		return q
	}
	end := min((hi+p.nr-1)/p.nr*p.nr, len(p.data)/max(kp, 1))
	q.data = p.data[lo*kp : end*kp]
	return q
}

// NR is the panel width of the packed int8 B (0: plain rows, any split works).
func (p PackedBI8) NR() int { return p.nr }

// PackBInto is PackB writing into dst when it holds PackedSize(n, k) floats (a
// reusable scratch buffer); it allocates otherwise.
func PackBInto(n, k int, b []float32, ldb int, dst []float32) PackedB {
	checkMat("PackBInto", "b", len(b), n, k, ldb)
	size := PackedSize(n, k)
	if len(dst) < size {
		return active.packB(n, k, b, ldb)
	}
	nr := active.f32.nr
	p := PackedB{n: n, k: k, nr: nr, data: dst[:size]}
	for q := 0; q*nr < n && k > 0; q++ {
		active.packPanelF32(p.data[q*nr*k:(q+1)*nr*k], b, ldb, q*nr, min(nr, n-q*nr), 0, k)
	}
	return p
}
