package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	// The k list of the brief plus the block edges (vector widths 4/8/16, kc=256).
	testK  = []int{1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 257, 1000}
	testMN = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 17, 25, 33}
)

type gemmCase struct{ m, n, k int }

func (c gemmCase) String() string { return fmt.Sprintf("m=%d,n=%d,k=%d", c.m, c.n, c.k) }

// gemmCases: every k with every m (n cycling through the list), every n with a few
// k, and shapes that cross the blocking (kc=256 floats, 1024 int8 per block; row
// blocks of 6/12; panels of 16/32) with tails on every side.
func gemmCases() []gemmCase {
	var cs []gemmCase
	for ik, k := range testK {
		for im, m := range testMN {
			cs = append(cs, gemmCase{m, testMN[(3*ik+im)%len(testMN)], k})
		}
	}
	for _, n := range testMN {
		for _, k := range []int{7, 65} {
			cs = append(cs, gemmCase{5, n, k}, gemmCase{13, n, k})
		}
	}
	return append(cs, gemmCase{40, 70, 300}, gemmCase{50, 33, 520}, gemmCase{12, 64, 256},
		gemmCase{97, 65, 1030}, gemmCase{24, 32, 2051}, gemmCase{0, 5, 5}, gemmCase{5, 0, 5}, gemmCase{3, 4, 0})
}

// randF32 fills a rows×cols matrix (leading dimension ld) with values in [-1, 1);
// the gaps between rows hold NaN, so that a kernel reading them fails the test.
func randF32(rng *rand.Rand, rows, cols, ld int) []float32 {
	s := make([]float32, max(span(rows, cols, ld), 0)+ld-cols)
	for i := range s {
		if i%ld < cols {
			s[i] = 2*rng.Float32() - 1
		} else {
			s[i] = float32(math.NaN())
		}
	}
	return s
}

func randI8(rng *rand.Rand, n int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(rng.IntN(256) - 128)
	}
	return s
}

func lds(rng *rand.Rand, k, n int) (int, int, int) {
	return k + rng.IntN(3), k + rng.IntN(3), n + rng.IntN(3)
}

// requireCloseF32 checks got (m×n, leading dimension ld) against want within
// 1e-5·√k times the sum of the magnitudes of the terms, and that the gaps between
// rows still hold what they held before (before).
func requireCloseF32(t *testing.T, what string, got []float32, ld int, want, mag []float64, m, n, k int, before []float32) {
	t.Helper()
	for i := range m {
		for j := range ld {
			g := got[i*ld+j]
			if j >= n {
				if i*ld+j < len(before) {
					require.Equal(t, math.Float32bits(before[i*ld+j]), math.Float32bits(g), "%s: wrote C[%d,%d] outside n", what, i, j)
				}
				continue
			}
			tol := 1e-5*math.Sqrt(float64(max(k, 1)))*mag[i*n+j] + 1e-30
			require.InDelta(t, want[i*n+j], float64(g), tol, "%s: C[%d,%d]", what, i, j)
		}
	}
}

func TestImpl(t *testing.T) {
	names := []string{}
	for _, im := range available() {
		names = append(names, im.name)
	}
	t.Logf("active %s; testing %v", Impl(), names)
	require.Equal(t, active.name, Impl())
	require.Contains(t, names, Impl())
	require.Equal(t, "portable", available()[0].name)
}

func TestGemmNT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases() {
		for _, acc := range []bool{false, true} {
			m, n, k := tc.m, tc.n, tc.k
			lda, ldb, ldc := lds(rng, k, n)
			a, b, c0 := randF32(rng, m, k, lda), randF32(rng, n, k, ldb), randF32(rng, m, n, ldc)
			want, mag := refGemmNT(m, n, k, a, lda, b, ldb, c0, ldc, acc)
			for _, im := range available() {
				what := fmt.Sprintf("%s %v acc=%v", im.name, tc, acc)
				c := append([]float32(nil), c0...)
				im.gemmNT(m, n, k, a, lda, b, ldb, c, ldc, acc)
				requireCloseF32(t, what+" GemmNT", c, ldc, want, mag, m, n, k, c0)

				pb := im.packB(n, k, b, ldb)
				c = append(c[:0], c0...)
				im.gemmPacked(m, a, lda, &pb, c, ldc, acc)
				requireCloseF32(t, what+" GemmPacked", c, ldc, want, mag, m, n, k, c0)
			}
		}
	}
}

// TestGemmNTPaths runs the same product through the dot-tile and the packed-panel
// paths of every implementation, whatever smallM says.
func TestGemmNTPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []gemmCase{{1, 37, 100}, {8, 40, 129}, {13, 33, 1000}, {30, 65, 300}} {
		m, n, k := tc.m, tc.n, tc.k
		a, b, c := randF32(rng, m, k, k), randF32(rng, n, k, k), make([]float32, m*n)
		want, mag := refGemmNT(m, n, k, a, k, b, k, c, n, false)
		for _, im := range available() {
			dot, panels := *im, *im
			dot.f32.smallM, panels.f32.smallM, panels.f32.smallMLongK = math.MaxInt, 0, 0
			for _, v := range []*impl{&dot, &panels} {
				clear(c)
				v.gemmNT(m, n, k, a, k, b, k, c, n, false)
				requireCloseF32(t, fmt.Sprintf("%s smallM=%d %v", im.name, v.f32.smallM, tc), c, n, want, mag, m, n, k, nil)
			}
		}
	}
}

func TestGemmI8NT(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := append(gemmCases(), gemmCase{13, 40, 1025}, gemmCase{30, 33, 2050}, gemmCase{2, 3, 4099})
	for _, tc := range cases {
		m, n, k := tc.m, tc.n, tc.k
		lda, ldb, ldc := lds(rng, k, n)
		a, b := randI8(rng, max(span(m, k, lda), 0)), randI8(rng, max(span(n, k, ldb), 0))
		want := refGemmI8(m, n, k, a, lda, b, ldb)
		for _, im := range available() {
			for _, packed := range []bool{false, true} {
				c := make([]int32, max(span(m, n, ldc), 0))
				for i := range c {
					c[i] = -7 // the gaps must keep it
				}
				if packed {
					pb := im.packBI8(n, k, b, ldb)
					im.gemmI8Packed(m, a, lda, &pb, c, ldc)
				} else {
					im.gemmI8NT(m, n, k, a, lda, b, ldb, c, ldc)
				}
				for i := range m {
					for j := 0; j < ldc && i*ldc+j < len(c); j++ {
						if j < n {
							require.Equal(t, want[i*n+j], c[i*ldc+j], "%s %v packed=%v: C[%d,%d]", im.name, tc, packed, i, j)
						} else {
							require.Equal(t, int32(-7), c[i*ldc+j], "%s %v: wrote C[%d,%d] outside n", im.name, tc, i, j)
						}
					}
				}
			}
		}
	}
}

// TestGemmI8Extremes: the products and sums that saturate or overflow a careless
// kernel (vpmaddubsw's int16 pairs, an int16 accumulator, the +128 offset) must
// come out exact.
func TestGemmI8Extremes(t *testing.T) {
	fill := func(n int, f func(i int) int8) []int8 {
		s := make([]int8, n)
		for i := range s {
			s[i] = f(i)
		}
		return s
	}
	const m, n = 14, 35
	for _, k := range []int{1, 4, 31, 64, 1000, 1027} {
		for name, ab := range map[string][2][]int8{
			"all -128":  {fill(m*k, func(int) int8 { return -128 }), fill(n*k, func(int) int8 { return -128 })},
			"-128·127":  {fill(m*k, func(int) int8 { return -128 }), fill(n*k, func(int) int8 { return 127 })},
			"127·127":   {fill(m*k, func(int) int8 { return 127 }), fill(n*k, func(int) int8 { return 127 })},
			"alternate": {fill(m*k, func(i int) int8 { return int8(-128 + 255*(i%2)) }), fill(n*k, func(i int) int8 { return int8(-128 + 255*((i/3)%2)) })},
		} {
			a, b := ab[0], ab[1]
			want := refGemmI8(m, n, k, a, k, b, k)
			for _, im := range available() {
				for _, small := range []int{0, math.MaxInt} {
					v := *im
					v.i8.smallM = small
					c := make([]int32, m*n)
					v.gemmI8NT(m, n, k, a, k, b, k, c, n)
					require.Equal(t, want, c, "%s %s k=%d smallM=%d", im.name, name, k, small)
				}
			}
		}
	}
}

func TestVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 200 {
		if n > 70 && n%31 != 0 {
			continue
		}
		for _, size := range []int{n, n + 1000} {
			x, y := randF32(rng, 1, size, size), randF32(rng, 1, size, size)
			alpha := 2*rng.Float32() - 1
			var want, mag float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
				mag += math.Abs(float64(x[i]) * float64(y[i]))
			}
			tol := 1e-5 * math.Sqrt(float64(max(size, 1)))
			for _, im := range available() {
				require.InDelta(t, want, float64(im.dot(x, y)), tol*mag+1e-30, "%s Dot n=%d", im.name, size)

				got := append([]float32(nil), y...)
				im.axpy(alpha, x, got)
				for i := range got {
					require.InDelta(t, float64(y[i])+float64(alpha)*float64(x[i]), float64(got[i]), 1e-6, "%s Axpy n=%d i=%d", im.name, size, i)
				}
				got = append(got[:0], x...)
				im.scale(alpha, got)
				for i := range got {
					require.Equal(t, alpha*x[i], got[i], "%s Scale n=%d i=%d", im.name, size, i)
				}
			}
		}
	}
}

func TestQuantizeRowSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := map[string][]float32{
		"empty":    {},
		"zeros":    make([]float32, 37),
		"halves":   {127, 0.5, 1.5, -2.5, -0.5, 126.5, -126.5, 3.5, 2.5, -1.5, 0.49999997, -0.49999997, 64.5, -64.5, 100.5, 7.5, 8.5},
		"nan":      {1, nan, -3, 2, nan, 0.25, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, nan, 1},
		"inf":      {1, inf, -3, 2, 0, 0.25, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, -inf, 1},
		"tiny":     {1e-45, -1e-45, 0, 1e-45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"negative": {-5, -1, -2.5, -3, -4, -5, -1, -2.5, -3, -4, -5, -1, -2.5, -3, -4, -5, -1, -2.5},
	}
	for n := range 80 {
		cases[fmt.Sprintf("random %d", n)] = randF32(rng, 1, n, n)
	}
	// NaN after the maximum in the same vector lane (every 8th element), and NaN
	// in every lane: a max that lets NaN win loses the maximum.
	nanAfter := make([]float32, 128)
	for i := range nanAfter {
		nanAfter[i] = float32(i%7) - 3
		if i%8 == 0 {
			nanAfter[i] = nan
		}
	}
	nanAfter[0] = -100
	cases["nan after the max"] = nanAfter
	nanMany := randF32(rng, 1, 64, 64)
	for i := range nanMany {
		if i%3 == 0 {
			nanMany[i] = nan
		}
	}
	cases["nan every third"] = nanMany
	big := randF32(rng, 1, 1408, 1408)
	for i := range big {
		big[i] *= 40 // large values: x·inv near every integer
	}
	cases["random 1408"] = big
	for name, x := range cases {
		want, wantScale := refQuantize(x)
		for _, im := range available() {
			q := make([]int8, len(x)+1)
			q[len(x)] = 99
			scale := im.quantizeRow(x, q)
			require.Equal(t, want, q[:len(x)], "%s %s", im.name, name)
			require.Equal(t, int8(99), q[len(x)], "%s %s: wrote past len(x)", im.name, name)
			require.Equal(t, math.Float32bits(wantScale), math.Float32bits(scale), "%s %s: scale", im.name, name)
		}
	}
}

// TestExported checks that the exported functions reach the active implementation
// and refuse short slices with a message rather than touching memory.
func TestExported(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	c := make([]float32, 6)
	GemmNT(2, 3, 3, a, 3, b, 3, c, 3, false)
	require.Equal(t, []float32{4, 2, 4, 10, 5, 10}, c)
	pb := PackB(3, 3, b, 3)
	require.Equal(t, 3, pb.N())
	require.Equal(t, 3, pb.K())
	GemmPacked(2, a, 3, pb, c, 3, true)
	require.Equal(t, []float32{8, 4, 8, 20, 10, 20}, c)
	require.Equal(t, float32(32), Dot([]float32{1, 2, 3}, []float32{4, 5, 6}))

	ci := make([]int32, 2)
	GemmI8NT(1, 2, 2, []int8{-128, 127}, 2, []int8{-128, -128, 127, 1}, 2, ci, 2)
	require.Equal(t, []int32{-128*-128 + 127*-128, -128*127 + 127}, ci)
	pbi := PackBI8(2, 2, []int8{-128, -128, 127, 1}, 2)
	GemmI8Packed(1, []int8{-128, 127}, 2, pbi, ci, 2)
	require.Equal(t, []int32{-128*-128 + 127*-128, -128*127 + 127}, ci)

	y := make([]float32, 2)
	var v Q8
	v.Quantize([]float32{10, 1})
	GemvI8Q8(2, 2, []int8{1, -2, 3, 4}, 2, []float32{0.5, 2}, &v, y)
	require.Equal(t, []float32{4, 68}, y)

	q := make([]int8, 3)
	require.Equal(t, float32(2)/127, QuantizeRowSymmetric([]float32{2, -1, 0}, q))
	require.Equal(t, []int8{127, -64, 0}, q)

	for name, f := range map[string]func(){
		"GemmNT a":         func() { GemmNT(2, 3, 3, a[:5], 3, b, 3, c, 3, false) },
		"GemmNT lda<k":     func() { GemmNT(2, 3, 3, a, 2, b, 3, c, 3, false) },
		"GemmNT c":         func() { GemmNT(2, 3, 3, a, 3, b, 3, c[:5], 3, false) },
		"GemmNT negative":  func() { GemmNT(-1, 3, 3, a, 3, b, 3, c, 3, false) },
		"GemmNT overflow":  func() { GemmNT(2, 3, 3, a, math.MaxInt/2, b, 3, c, 3, false) },
		"GemmPacked other": func() { GemmPacked(2, a, 3, PackedB{n: 3, k: 3, nr: 1}, c, 3, false) },
		"GemmI8NT b":       func() { GemmI8NT(1, 2, 2, []int8{1, 2}, 2, []int8{1, 2, 3}, 2, ci, 2) },
		"GemmI8Packed zero": func() {
			GemmI8Packed(1, []int8{1, 2}, 2, PackedBI8{n: 2, k: 2, owner: active.isa}, ci, 2)
		},
		"GemvI8Q8 x":   func() { GemvI8Q8(2, 3, []int8{1, -2, 3, 4, 5, 6}, 3, []float32{1, 1}, &v, y) },
		"Dot":          func() { Dot(a, b) },
		"Axpy":         func() { Axpy(1, a, b) },
		"Quantize q":   func() { QuantizeRowSymmetric(a, q) },
		"PackB ldb<k":  func() { PackB(3, 3, b, 2) },
		"PackBI8 b":    func() { PackBI8(3, 3, []int8{1}, 3) },
		"GemmNT b nil": func() { GemmNT(1, 1, 1, a, 1, nil, 1, c, 1, false) },
	} {
		require.Panics(t, f, name)
	}
}

// TestConcurrentSplits runs the splits doc.go recommends on goroutines (rows of A
// for a large-m product, rows of B for a small-m one) and compares with one call;
// under -race it also shows the kernels share no Go state.
func TestConcurrentSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const m, n, k, parts = 50, 96, 200, 4
	a, b := randF32(rng, m, k, k), randF32(rng, n, k, k)
	want := make([]float32, m*n)
	GemmNT(m, n, k, a, k, b, k, want, n, false)
	pb := PackB(n, k, b, k)

	got := make([]float32, m*n)
	var wg sync.WaitGroup
	for p := range parts {
		i0, i1 := p*m/parts, (p+1)*m/parts
		wg.Go(func() { GemmPacked(i1-i0, a[i0*k:], k, pb, got[i0*n:], n, false) })
	}
	wg.Wait()
	require.InDeltaSlice(t, want, got, 1e-4)

	x := a[:k]
	y := make([]float32, n)
	for p := range parts {
		j0, j1 := p*n/parts, (p+1)*n/parts
		wg.Go(func() { GemmNT(1, j1-j0, k, x, k, b[j0*k:], k, y[j0:], n, false) })
	}
	wg.Wait()
	require.InDeltaSlice(t, want[:n], y, 1e-4)
}

// TestPackedViews checks products on column ranges of a packed B, and B packed from
// its transpose, against the plain product.
func TestPackedViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []gemmCase{{5, 70, 33}, {13, 64, 300}, {40, 97, 65}, {3, 33, 1}, {12, 1, 7}} {
		m, n, k := tc.m, tc.n, tc.k
		a, b := randF32(rng, m, k, k), randF32(rng, n, k, k)
		want, mag := refGemmNT(m, n, k, a, k, b, k, make([]float32, m*n), n, false)
		bt := make([]float32, k*n)
		for j := range n {
			for p := range k {
				bt[p*n+j] = b[j*k+p]
			}
		}
		pt := PackBT(n, k, bt, n, nil)
		c := make([]float32, m*n)
		GemmPacked(m, a, k, pt, c, n, false)
		requireCloseF32(t, fmt.Sprintf("PackBT %v", tc), c, n, want, mag, m, n, k, nil)
		// Reusing a scratch buffer gives the same panels.
		scratch := make([]float32, PackedSize(n, k)+5)
		for i := range scratch {
			scratch[i] = float32(math.NaN())
		}
		pt2 := PackBT(n, k, bt, n, scratch)
		c2 := make([]float32, m*n)
		GemmPacked(m, a, k, pt2, c2, n, false)
		require.Equal(t, c, c2)

		pi := PackBInto(n, k, b, k, scratch[:0]) // too small: allocates
		c3 := make([]float32, m*n)
		GemmPacked(m, a, k, pi, c3, n, false)
		requireCloseF32(t, fmt.Sprintf("PackBInto %v", tc), c3, n, want, mag, m, n, k, nil)
		pi = PackBInto(n, k, b, k, scratch)
		clear(c3)
		GemmPacked(m, a, k, pi, c3, n, false)
		requireCloseF32(t, fmt.Sprintf("PackBInto scratch %v", tc), c3, n, want, mag, m, n, k, nil)

		pb := PackB(n, k, b, k)
		nr := pb.NR()
		c = make([]float32, m*n)
		for lo := 0; lo < n; lo += nr {
			hi := min(lo+2*nr, n)
			GemmPacked(m, a, k, pb.Cols(lo, hi), c[lo:], n, false)
			lo = hi - nr
		}
		requireCloseF32(t, fmt.Sprintf("PackedB.Cols %v", tc), c, n, want, mag, m, n, k, nil)
		require.Panics(t, func() { pb.Cols(1, n) })

		qa, qb := randI8(rng, m*k), randI8(rng, n*k)
		wantI := refGemmI8(m, n, k, qa, k, qb, k)
		pq := PackBI8(n, k, qb, k)
		step := max(pq.NR(), 7)
		ci := make([]int32, m*n)
		for lo := 0; lo < n; lo += step {
			GemmI8Packed(m, qa, k, pq.Cols(lo, min(lo+step, n)), ci[lo:], n)
		}
		require.Equal(t, wantI, ci, "PackedBI8.Cols %v", tc)
	}
}

// TestChooseByEnvironment: EDGE_KERNELS picks a set by its short or full name, says so,
// and falls back to the best set with the reason when the CPU cannot run the one asked.
func TestChooseByEnvironment(t *testing.T) {
	all := available()
	best := all[len(all)-1]
	im, note := choose(all, "")
	require.Same(t, best, im)
	require.Empty(t, note)
	im, note = choose(all, "portable")
	require.Same(t, portable, im)
	if best != portable {
		require.Contains(t, note, "portable kernels forced")
	}
	im, note = choose(all, best.name)
	require.Same(t, best, im)
	require.Empty(t, note)
	im, note = choose(all, "no-such-isa")
	require.Same(t, best, im)
	require.Contains(t, note, "not a kernel set this CPU runs")
	require.Contains(t, note, best.name)
	for _, short := range []string{"avx2", "avx512", "neon"} {
		for _, cand := range all {
			if strings.HasSuffix(cand.name, "-"+short) {
				im, _ := choose(all, short)
				require.Same(t, cand, im, short)
			}
		}
	}
}
