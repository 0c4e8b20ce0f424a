//go:build !purego

package kernels

import (
	"os"

	"golang.org/x/sys/cpu"
)

// amd64: AVX2+FMA, AVX2 with AVX-VNNI (the VEX form of VPDPBUSD, for the int8
// micro-kernel on CPUs without AVX-512), AVX-512F (fp32 kernels on 512-bit vectors) and
// AVX-512 VNNI (VPDPBUSD int8 micro-kernel). Without AVX2+FMA the portable kernels run.

var (
	avx2 = &impl{
		name: "amd64-avx2", isa: isaAVX2, vecLen: 8,
		f32:      f32Shape{dotRows: 2, dotLen: 8, mr: 6, nr: 16, kc: 256, smallM: 8, smallMLongK: 20},
		i8:       i8Shape{madd: true, smallM: 4, dotRows: 2, dotLen: 16, nr: maddNR},
		quantLen: 8,
	}
	avx2VNNI = &impl{
		name: "amd64-avx2-vnni", isa: isaAVX2VNNI, vecLen: 8,
		f32: f32Shape{dotRows: 2, dotLen: 8, mr: 6, nr: 16, kc: 256, smallM: 8, smallMLongK: 20},
		i8: i8Shape{micro: true, smallM: 4, dotRows: 2, dotLen: 16,
			mr: 6, nr: 16, kcq: 256},
		quantLen: 8,
	}
	avx512 = &impl{
		name: "amd64-avx512", isa: isaAVX512, vecLen: 16,
		f32:      f32Shape{dotRows: 4, dotLen: 16, mr: 12, nr: 32, kc: 256, smallM: 12, smallMLongK: 32},
		i8:       i8Shape{madd: true, smallM: 4, dotRows: 2, dotLen: 16, nr: maddNR},
		quantLen: 16,
	}
	avx512VNNI = &impl{
		name: "amd64-avx512-vnni", isa: isaAVX512VNNI, vecLen: 16,
		f32: f32Shape{dotRows: 4, dotLen: 16, mr: 12, nr: 32, kc: 256, smallM: 12, smallMLongK: 32},
		i8: i8Shape{micro: true, smallM: 4, dotRows: 2, dotLen: 16,
			mr: 12, nr: 32, kcq: 256},
		quantLen: 16,
	}
)

var active, activeNote = choose(available(), os.Getenv(KernelsEnv))

// available lists the implementations this CPU runs, portable first, best last.
func available() []*impl {
	x := cpu.X86
	out := []*impl{portable}
	if !x.HasAVX2 || !x.HasFMA {
		return out
	}
	out = append(out, avx2)
	if x.HasAVXVNNI {
		out = append(out, avx2VNNI)
	}
	if !x.HasAVX512F || !x.HasAVX512BW || !x.HasAVX512VL || !x.HasAVX512DQ {
		return out
	}
	out = append(out, avx512)
	if x.HasAVX512VNNI {
		out = append(out, avx512VNNI)
	}
	return out
}

//go:noescape
func dotAVX2(n int, a, b *float32) float32

//go:noescape
func axpyAVX2(n int, alpha float32, x, y *float32)

//go:noescape
func scaleAVX2(n int, alpha float32, x *float32)

//go:noescape
func sdotTileAVX2(k int, a, b *[4]*float32, out *[16]float32)

//go:noescape
func sgemmMicroAVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

//go:noescape
func dotAVX512(n int, a, b *float32) float32

//go:noescape
func axpyAVX512(n int, alpha float32, x, y *float32)

//go:noescape
func scaleAVX512(n int, alpha float32, x *float32)

//go:noescape
func sdotTileAVX512(k int, a, b *[4]*float32, out *[16]float32)

//go:noescape
func sgemmMicroAVX512(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)

//go:noescape
func i8DotTileAVX2(k int, a, b *[4]*int8, out *[16]int32)

//go:noescape
func i8MicroVNNI(kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool)

//go:noescape
func maxAbsAVX2(n int, x *float32) float32

//go:noescape
func maxAbsAVX512(n int, x *float32) float32

//go:noescape
func quantizeAVX2(n int, x *float32, inv float32, q *int8)

//go:noescape
func quantizeAVX512(n int, x *float32, inv float32, q *int8)

func vecDot(s isa, n int, a, b *float32) float32 {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		return dotAVX2(n, a, b)
	case isaAVX512, isaAVX512VNNI:
		return dotAVX512(n, a, b)
	}
	return dotGo(n, a, b)
}

func vecAxpy(s isa, n int, alpha float32, x, y *float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		axpyAVX2(n, alpha, x, y)
	case isaAVX512, isaAVX512VNNI:
		axpyAVX512(n, alpha, x, y)
	default:
		axpyGo(n, alpha, x, y)
	}
}

func vecScale(s isa, n int, alpha float32, x *float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		scaleAVX2(n, alpha, x)
	case isaAVX512, isaAVX512VNNI:
		scaleAVX512(n, alpha, x)
	default:
		scaleGo(n, alpha, x)
	}
}

func f32DotTile(s isa, k int, a, b *[4]*float32, out *[16]float32) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		sdotTileAVX2(k, a, b, out)
	case isaAVX512, isaAVX512VNNI:
		sdotTileAVX512(k, a, b, out)
	default:
		dotTileGo(k, a, b, out)
	}
}

func f32Micro(s isa, kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		sgemmMicroAVX2(kc, a, lda, b, c, ldc, load)
	case isaAVX512, isaAVX512VNNI:
		sgemmMicroAVX512(kc, a, lda, b, c, ldc, load)
	default:
		microGo(kc, a, lda, b, c, ldc, load)
	}
}

func i8DotTile(s isa, k int, a, b *[4]*int8, out *[16]int32) {
	switch s {
	case isaAVX2, isaAVX2VNNI, isaAVX512, isaAVX512VNNI:
		i8DotTileAVX2(k, a, b, out)
	default:
		i8DotTileGo(k, a, b, out)
	}
}

func i8Micro(s isa, kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool) {
	switch s {
	case isaAVX512VNNI:
		i8MicroVNNI(kq, a, lda, b, c, ldc, bias, load)
	case isaAVX2VNNI:
		i8MicroAVXVNNI(kq, a, lda, b, c, ldc, bias, load)
	default:
		panic("kernels: int8 micro-kernel needs AVX-512 VNNI or AVX-VNNI")
	}
}

//go:noescape
func i8MaddMicro(kq int, a *int16, lda int, b *int16, c *int32, ldc int)

//go:noescape
func widenI8AVX2(n int, src *int8, dst *int16)

// widenI8 is dst[i] = int16(src[i]), the multiple of 16 through AVX2.
func widenI8(src []int8, dst []int16) {
	n := len(src) &^ 15
	if n > 0 {
		widenI8AVX2(n, &src[0], &dst[0])
	}
	for i := n; i < len(src); i++ {
		dst[i] = int16(src[i])
	}
}

//go:noescape
func i8MicroAVXVNNI(kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool)

func maxAbs(s isa, n int, x *float32) float32 {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		return maxAbsAVX2(n, x)
	case isaAVX512, isaAVX512VNNI:
		return maxAbsAVX512(n, x)
	}
	return maxAbsGo(n, x)
}

func quantize(s isa, n int, x *float32, inv float32, q *int8) {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		quantizeAVX2(n, x, inv, q)
	case isaAVX512, isaAVX512VNNI:
		quantizeAVX512(n, x, inv, q)
	default:
		quantizeGo(n, x, inv, q)
	}
}

//go:noescape
func packPanelAVX512(kw int, b *float32, ldb int, dst *float32)

//go:noescape
func packPanelAVX2(kw int, b *float32, ldb int, dst *float32)

// packPanel packs the first columns of a full panel (nr rows of b) and returns how
// many it packed: a multiple of the transpose block, the rest is left to Go.
func packPanel(s isa, kw int, b *float32, ldb int, dst *float32) int {
	switch s {
	case isaAVX2, isaAVX2VNNI:
		if kw &^= 7; kw > 0 {
			packPanelAVX2(kw, b, ldb, dst)
		}
		return kw
	case isaAVX512, isaAVX512VNNI:
		if kw &^= 15; kw > 0 {
			packPanelAVX512(kw, b, ldb, dst)
		}
		return kw
	}
	return 0
}

//go:noescape
func packPanelI8AVX512(kb int, b *int8, ldb int, dst *uint8)

// packPanelI8ASM packs the first bytes of a full 32-row int8 panel for the VNNI
// kernel and returns how many it packed (a multiple of 64).
func packPanelI8ASM(s isa, kb int, b *int8, ldb int, dst *uint8) int {
	if s != isaAVX512VNNI {
		return 0
	}
	if kb &^= 63; kb > 0 {
		packPanelI8AVX512(kb, b, ldb, dst)
	}
	return kb
}

func gemvQ8Rows(s isa, n, nb int, w *int8, ldw int, q *int8, sc *float32, scales *float32, off float32, y *float32) {
	switch s {
	case isaAVX2, isaAVX512:
		gemvQ8RowsAVX2(n, nb, w, ldw, q, sc, scales, off, y)
	case isaAVX512VNNI:
		gemvQ8RowsVNNI(n, nb, w, ldw, q, sc, scales, off, y)
	case isaAVX2VNNI:
		gemvQ8RowsAVXVNNI(n, nb, w, ldw, q, sc, scales, off, y)
	default:
		gemvQ8RowsGo(n, nb, w, ldw, q, sc, scales, off, y)
	}
}

//go:noescape
func gemvQ8RowsVNNI(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)

//go:noescape
func gemvQ8RowsAVXVNNI(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)

//go:noescape
func gemvQ8RowsAVX2(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)

//go:noescape
func q4DotAVX512(groups, gsize int, w *uint8, s *uint16, x *float32) float32

//go:noescape
func q4DotAVX2(groups, gsize int, w *uint8, s *uint16, x *float32) float32

// hasF16C gates the AVX2 int4 kernel, which converts its fp16 scales with VCVTPH2PS.
var hasF16C = cpu.X86.HasF16C

func q4Dot(s isa, groups, g int, w *uint8, sc *uint16, x *float32) float32 {
	switch {
	case (s == isaAVX2 || s == isaAVX2VNNI) && hasF16C:
		return q4DotAVX2(groups, g, w, sc, x)
	case s == isaAVX512 || s == isaAVX512VNNI:
		return q4DotAVX512(groups, g, w, sc, x)
	}
	return q4DotGo(groups, g, w, sc, x)
}

//go:noescape
func gemvTileF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func gemvTileBF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func gemvTileF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func gemvTileBF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)

//go:noescape
func widenF16AVX2(n int, src *uint16, dst *float32)

//go:noescape
func widenBF16AVX2(n int, src *uint16, dst *float32)

// gemvTileH16 is gemvTile for 16-bit weights; k a multiple of 16. Every CPU with
// AVX2 and FMA has F16C (Haswell, Piledriver and later).
func gemvTileH16(s isa, bf bool, k int, w *[4]*uint16, x *float32, out *[4]float32) {
	switch {
	case (s == isaAVX2 || s == isaAVX2VNNI) && bf:
		gemvTileBF16AVX2(k, w, x, out)
	case s == isaAVX2 || s == isaAVX2VNNI:
		gemvTileF16AVX2(k, w, x, out)
	case (s == isaAVX512 || s == isaAVX512VNNI) && bf:
		gemvTileBF16AVX512(k, w, x, out)
	case s == isaAVX512 || s == isaAVX512VNNI:
		gemvTileF16AVX512(k, w, x, out)
	default:
		gemvTileH16Go(bf, k, w, x, out)
	}
}

// widenH16Vec widens n 16-bit floats (a multiple of 16); the conversion is not what
// bounds the many-row products, so 256-bit vectors serve both vector sets.
func widenH16Vec(s isa, bf bool, n int, src *uint16, dst *float32) {
	switch {
	case s == isaPortable:
		widenH16Go(bf, n, src, dst)
	case bf:
		widenBF16AVX2(n, src, dst)
	default:
		widenF16AVX2(n, src, dst)
	}
}

//go:noescape
func q4DequantAVX512(groups, gsize int, w *uint8, s *uint16, dst *float32)

//go:noescape
func q4DequantAVX2(groups, gsize int, w *uint8, s *uint16, dst *float32)

// q4Dequant writes the values of full groups and reports whether it could (else the
// caller's Go loop does).
func q4Dequant(s isa, groups, g int, w *uint8, sc *uint16, dst *float32) bool {
	switch {
	case (s == isaAVX2 || s == isaAVX2VNNI) && hasF16C:
		q4DequantAVX2(groups, g, w, sc, dst)
	case s == isaAVX512 || s == isaAVX512VNNI:
		q4DequantAVX512(groups, g, w, sc, dst)
	default:
		return false
	}
	return true
}
