//go:build (!amd64 && !arm64) || purego

package kernels

import "os"

// Without assembly (other architectures, or the purego tag) every primitive is the
// portable one.

var active, activeNote = choose(available(), os.Getenv(KernelsEnv))

// available lists the implementations this CPU runs, for the tests.
func available() []*impl { return []*impl{portable} }

func vecDot(_ isa, n int, a, b *float32) float32                 { return dotGo(n, a, b) }
func vecAxpy(_ isa, n int, alpha float32, x, y *float32)         { axpyGo(n, alpha, x, y) }
func vecScale(_ isa, n int, alpha float32, x *float32)           { scaleGo(n, alpha, x) }
func f32DotTile(_ isa, k int, a, b *[4]*float32, o *[16]float32) { dotTileGo(k, a, b, o) }
func f32Micro(_ isa, kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool) {
	microGo(kc, a, lda, b, c, ldc, load)
}
func i8DotTile(_ isa, k int, a, b *[4]*int8, o *[16]int32) { i8DotTileGo(k, a, b, o) }
func i8Micro(isa, int, *int8, int, *uint8, *int32, int, *int32, bool) {
	panic("kernels: no int8 micro-kernel in the portable build")
}
func maxAbs(_ isa, n int, x *float32) float32                 { return maxAbsGo(n, x) }
func quantize(_ isa, n int, x *float32, inv float32, q *int8) { quantizeGo(n, x, inv, q) }

func packPanel(isa, int, *float32, int, *float32) int { return 0 }

func packPanelI8ASM(isa, int, *int8, int, *uint8) int { return 0 }

func gemvQ8Rows(_ isa, n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32) {
	gemvQ8RowsGo(n, nb, w, ldw, q, s, scales, off, y)
}

func q4Dot(_ isa, groups, g int, w *uint8, s *uint16, x *float32) float32 {
	return q4DotGo(groups, g, w, s, x)
}

func gemvTileH16(_ isa, bf bool, k int, w *[4]*uint16, x *float32, o *[4]float32) {
	gemvTileH16Go(bf, k, w, x, o)
}
func widenH16Vec(_ isa, bf bool, n int, src *uint16, dst *float32) { widenH16Go(bf, n, src, dst) }

func q4Dequant(isa, int, int, *uint8, *uint16, *float32) bool { return false }
