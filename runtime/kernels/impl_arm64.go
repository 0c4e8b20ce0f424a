//go:build !purego

package kernels

import (
	"os"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// arm64: NEON everywhere (it is part of ARMv8-A); SDOT for the int8 products where
// the CPU has the dot-product extension (ARMv8.2+: Jetson Orin's Cortex-A78AE, not
// Xavier's Carmel).

var (
	neon = &impl{
		name: "arm64-neon", isa: isaNEON, vecLen: 4,
		f32:      f32Shape{dotRows: 4, dotLen: 4, mr: 6, nr: 16, kc: 256, smallM: 8, smallMLongK: 16},
		i8:       i8Shape{dotRows: 4, dotLen: 16},
		quantLen: 16,
	}
	neonDot = &impl{
		name: "arm64-neon-dotprod", isa: isaNEONDot, vecLen: 4,
		f32:      f32Shape{dotRows: 4, dotLen: 4, mr: 6, nr: 16, kc: 256, smallM: 8, smallMLongK: 16},
		i8:       i8Shape{dotRows: 4, dotLen: 16},
		quantLen: 16,
	}
)

var active, activeNote = choose(available(), os.Getenv(KernelsEnv))

// available lists the implementations this CPU runs, portable first, best last.
func available() []*impl {
	out := []*impl{portable, neon}
	if cpu.ARM64.HasASIMDDP {
		out = append(out, neonDot)
	}
	return out
}

//go:noescape
func dotNEON(n int, a, b *float32) float32

//go:noescape
func axpyNEON(n int, alpha float32, x, y *float32)

//go:noescape
func scaleNEON(n int, alpha float32, x *float32)

//go:noescape
func sdotTileNEON(k int, a, b *[4]*float32, out *[16]float32)

//go:noescape
func sgemmMicroNEON(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

//go:noescape
func i8DotTileNEON(k int, a, b *[4]*int8, out *[16]int32)

//go:noescape
func i8DotTileSDOT(k int, a, b *[4]*int8, out *[16]int32)

//go:noescape
func maxAbsNEON(n int, x *float32) float32

//go:noescape
func quantizeNEON(n int, x *float32, inv float32, q *int8)

func simd(s isa) bool { return s == isaNEON || s == isaNEONDot }

func vecDot(s isa, n int, a, b *float32) float32 {
	if simd(s) {
		return dotNEON(n, a, b)
	}
	return dotGo(n, a, b)
}

func vecAxpy(s isa, n int, alpha float32, x, y *float32) {
	if simd(s) {
		axpyNEON(n, alpha, x, y)
		return
	}
	axpyGo(n, alpha, x, y)
}

func vecScale(s isa, n int, alpha float32, x *float32) {
	if simd(s) {
		scaleNEON(n, alpha, x)
		return
	}
	scaleGo(n, alpha, x)
}

func f32DotTile(s isa, k int, a, b *[4]*float32, out *[16]float32) {
	if simd(s) {
		sdotTileNEON(k, a, b, out)
		return
	}
	dotTileGo(k, a, b, out)
}

func f32Micro(s isa, kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	if simd(s) {
		sgemmMicroNEON(kc, a, lda, b, c, ldc, load)
		return
	}
	microGo(kc, a, lda, b, c, ldc, load)
}

func i8DotTile(s isa, k int, a, b *[4]*int8, out *[16]int32) {
	switch s {
	case isaNEONDot:
		i8DotTileSDOT(k, a, b, out)
	case isaNEON:
		i8DotTileNEON(k, a, b, out)
	default:
		i8DotTileGo(k, a, b, out)
	}
}

func i8Micro(isa, int, *int8, int, *uint8, *int32, int, *int32, bool) {
	panic("kernels: no int8 micro-kernel on arm64")
}

func maxAbs(s isa, n int, x *float32) float32 {
	if simd(s) {
		return maxAbsNEON(n, x)
	}
	return maxAbsGo(n, x)
}

func quantize(s isa, n int, x *float32, inv float32, q *int8) {
	if simd(s) {
		quantizeNEON(n, x, inv, q)
		return
	}
	quantizeGo(n, x, inv, q)
}

//go:noescape
func packPanelNEON(kw int, b *float32, ldb int, dst *float32)

// packPanel packs the first columns of a full 16-row panel and returns how many it
// packed (a multiple of 4); the rest is left to Go.
func packPanel(s isa, kw int, b *float32, ldb int, dst *float32) int {
	if !simd(s) {
		return 0
	}
	if kw &^= 3; kw > 0 {
		packPanelNEON(kw, b, ldb, dst)
	}
	return kw
}

func packPanelI8ASM(isa, int, *int8, int, *uint8) int { return 0 }

// gemvQ8Rows runs the NEON kernels on four rows at a time, read side by side (the
// amd64 kernels take all the rows in one call; no Arm board has timed that form yet).
func gemvQ8Rows(s isa, n, nb int, w *int8, ldw int, q *int8, sc *float32, scales *float32, off float32, y *float32) {
	tile := gemvQ8TileNEON
	switch s {
	case isaNEON:
	case isaNEONDot:
		tile = gemvQ8TileSDOT
	default:
		gemvQ8RowsGo(n, nb, w, ldw, q, sc, scales, off, y)
		return
	}
	ws := unsafe.Slice(w, (n-1)*ldw+nb*Q8Block)
	ss, ys := unsafe.Slice(scales, n), unsafe.Slice(y, n)
	var wp [4]*int8
	var out [4]float32
	for i := 0; i < n; i += 4 {
		for r := range 4 {
			wp[r] = &ws[min(i+r, n-1)*ldw] // rows past n repeat the last; dropped
		}
		tile(nb, &wp, q, sc, &out)
		for r := 0; r < 4 && i+r < n; r++ {
			ys[i+r] = ss[i+r] * (out[r] - off)
		}
	}
}

//go:noescape
func gemvQ8TileNEON(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)

//go:noescape
func gemvQ8TileSDOT(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)

//go:noescape
func q4DotNEON(groups, gsize int, w *uint8, s *uint16, x *float32) float32

func q4Dot(s isa, groups, g int, w *uint8, sc *uint16, x *float32) float32 {
	if simd(s) {
		return q4DotNEON(groups, g, w, sc, x)
	}
	return q4DotGo(groups, g, w, sc, x)
}

//go:noescape
func gemvTileF16NEON(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func gemvTileBF16NEON(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func widenF16NEON(n int, src *uint16, dst *float32)

//go:noescape
func widenBF16NEON(n int, src *uint16, dst *float32)

// gemvTileH16 is gemvTile for 16-bit weights; k a multiple of 16.
func gemvTileH16(s isa, bf bool, k int, w *[4]*uint16, x *float32, out *[4]float32) {
	switch {
	case s == isaPortable:
		gemvTileH16Go(bf, k, w, x, out)
	case bf:
		gemvTileBF16NEON(k, w, x, out)
	default:
		gemvTileF16NEON(k, w, x, out)
	}
}

// widenH16Vec widens n 16-bit floats, a multiple of 16.
func widenH16Vec(s isa, bf bool, n int, src *uint16, dst *float32) {
	switch {
	case s == isaPortable:
		widenH16Go(bf, n, src, dst)
	case bf:
		widenBF16NEON(n, src, dst)
	default:
		widenF16NEON(n, src, dst)
	}
}

// q4Dequant has no NEON version yet: the Go loop dequantizes.
func q4Dequant(isa, int, int, *uint8, *uint16, *float32) bool { return false }
