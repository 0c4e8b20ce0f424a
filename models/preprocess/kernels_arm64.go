package preprocess

// Every arm64 CPU has Advanced SIMD (NEON).
func archKernels() []kernelSet {
	return []kernelSet{{name: "neon", horizontal: horizontalRowNEON,
		vertical: verticalRowNEON, rgbx: rgbxRowNEON, lanes: 8, ppg: 2}}
}

// The assembly kernels (kernels_arm64.s), as on amd64 (kernels_amd64.go).

//go:noescape
func hNEON(o, row *uint8, lo *int32, kx *int32, out, groups int)

// vNEON computes cols bytes (a multiple of 16) of one output row.
//
//go:noescape
func vNEON(o, rows *uint8, k *int32, n, stride, cols int)

// rgbxNEON converts 16 pixels at a time while 16 remain of n, stopping
// early, when premultiplied, at a block with a pixel that is not opaque.
// It returns the pixels done.
//
//go:noescape
func rgbxNEON(dst, src *uint8, n int, premultiplied bool) int

func horizontalRowNEON(o, row []uint8, a *axis, ws *rowScratch) {
	if a.xlanes != 8 || len(o) < 3*a.out || len(a.lo) < a.out || len(a.kx) < a.out*a.xg*8 || a.out < 1 {
		panic("preprocess: horizontal kernel called with a mismatched layout")
	}
	row = padRow(row, a.xread, ws)
	hNEON(&o[0], &row[0], &a.lo[0], &a.kx[0], a.out, a.xg)
}

func verticalRowNEON(o, rows []uint8, k []int32) {
	if len(k) < 1 || len(rows) < len(k)*len(o) {
		panic("preprocess: vertical kernel called with too few rows")
	}
	cols := len(o) &^ 15
	if cols > 0 {
		vNEON(&o[0], &rows[0], &k[0], len(k), len(o), cols)
	}
	verticalCols(o, rows, k, cols)
}

func rgbxRowNEON(dst, src []uint8, premultiplied bool) {
	n := min(len(src)/4, len(dst)/3)
	i := 0
	for n-i >= 16 {
		i += rgbxNEON(&dst[3*i], &src[4*i], n-i, premultiplied)
		if n-i < 16 {
			break
		}
		rgbxRowGo(dst[3*i:3*(i+16)], src[4*i:4*(i+16)], premultiplied)
		i += 16
	}
	rgbxRowGo(dst[3*i:3*n], src[4*i:4*n], premultiplied)
}
