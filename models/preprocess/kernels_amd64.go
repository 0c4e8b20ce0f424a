package preprocess

import "golang.org/x/sys/cpu"

func archKernels() []kernelSet {
	var sets []kernelSet
	if cpu.X86.HasAVX2 {
		sets = append(sets, kernelSet{name: "avx2", horizontal: horizontalRowAVX2,
			vertical: verticalRowAVX2, rgbx: rgbxRowAVX2, lanes: 8, ppg: 2})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL {
		sets = append(sets, kernelSet{name: "avx512", horizontal: horizontalRowAVX512,
			vertical: verticalRowAVX512, rgbx: rgbxRowAVX2, lanes: 16, ppg: 5})
	}
	return sets
}

// The assembly kernels (kernels_amd64.s). Arguments are checked by the
// Go wrappers below.

// hAVX2 and hAVX512 compute out output pixels into o from row (readable
// up to the axis's xread bytes): lo[xx] first pixel, kx the expanded
// coefficients, g groups per pixel.
//
//go:noescape
func hAVX2(o, row *uint8, lo *int32, kx *int32, out, groups int)

//go:noescape
func hAVX512(o, row *uint8, lo *int32, kx *int32, out, groups int)

// vAVX2 computes cols bytes (a multiple of 32) of one output row;
// vAVX512 a multiple of 16. rows holds n rows of stride bytes.
//
//go:noescape
func vAVX2(o, rows *uint8, k *int32, n, stride, cols int)

//go:noescape
func vAVX512(o, rows *uint8, k *int32, n, stride, cols int)

// rgbxAVX2 converts 8 pixels at a time while at least 11 remain of n (it
// stores 32 bytes for 24), stopping early, when premultiplied, at a block
// with a pixel that is not opaque. It returns the pixels done.
//
//go:noescape
func rgbxAVX2(dst, src *uint8, n int, premultiplied bool) int

func horizontalRowAVX2(o, row []uint8, a *axis, ws *rowScratch) {
	hCheck(o, a, 8)
	row = padRow(row, a.xread, ws)
	hAVX2(&o[0], &row[0], &a.lo[0], &a.kx[0], a.out, a.xg)
}

func horizontalRowAVX512(o, row []uint8, a *axis, ws *rowScratch) {
	hCheck(o, a, 16)
	row = padRow(row, a.xread, ws)
	hAVX512(&o[0], &row[0], &a.lo[0], &a.kx[0], a.out, a.xg)
}

// hCheck panics where a vector kernel would go out of bounds.
func hCheck(o []uint8, a *axis, lanes int) {
	if a.xlanes != lanes || len(o) < 3*a.out || len(a.lo) < a.out || len(a.kx) < a.out*a.xg*lanes || a.out < 1 {
		panic("preprocess: horizontal kernel called with a mismatched layout")
	}
}

func verticalRowAVX2(o, rows []uint8, k []int32) {
	vCheck(o, rows, k)
	cols := len(o) &^ 31
	if cols > 0 {
		vAVX2(&o[0], &rows[0], &k[0], len(k), len(o), cols)
	}
	verticalCols(o, rows, k, cols)
}

func verticalRowAVX512(o, rows []uint8, k []int32) {
	vCheck(o, rows, k)
	cols := len(o) &^ 15
	if cols > 0 {
		vAVX512(&o[0], &rows[0], &k[0], len(k), len(o), cols)
	}
	verticalCols(o, rows, k, cols)
}

func vCheck(o, rows []uint8, k []int32) {
	if len(k) < 1 || len(rows) < len(k)*len(o) {
		panic("preprocess: vertical kernel called with too few rows")
	}
}

func rgbxRowAVX2(dst, src []uint8, premultiplied bool) {
	n := min(len(src)/4, len(dst)/3)
	i := 0
	for n-i >= 11 {
		i += rgbxAVX2(&dst[3*i], &src[4*i], n-i, premultiplied)
		if n-i < 11 {
			break
		}
		// A block with a translucent pixel: un-premultiply it here.
		rgbxRowGo(dst[3*i:3*(i+8)], src[4*i:4*(i+8)], premultiplied)
		i += 8
	}
	rgbxRowGo(dst[3*i:3*n], src[4*i:4*n], premultiplied)
}
