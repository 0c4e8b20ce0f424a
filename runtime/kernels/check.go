package kernels

import (
	"fmt"
	"math"
)

// span is the number of elements a rows×cols matrix with leading dimension ld
// covers, or -1 when the shape is invalid (negative, ld < cols, or too large).
func span(rows, cols, ld int) int {
	switch {
	case rows < 0 || cols < 0 || ld < cols:
		return -1
	case rows == 0 || cols == 0:
		return 0
	case rows-1 > (math.MaxInt-cols)/ld:
		return -1
	}
	return (rows-1)*ld + cols
}

// checkMat panics unless a slice of length have holds a rows×cols matrix with
// leading dimension ld. A violated shape contract is a bug in the caller, and the
// assembly kernels must never be given one.
func checkMat(fn, name string, have, rows, cols, ld int) {
	need := span(rows, cols, ld)
	if need < 0 {
		panic(fmt.Sprintf("kernels.%s: %s: invalid shape %d×%d with leading dimension %d", fn, name, rows, cols, ld))
	}
	if have < need {
		panic(fmt.Sprintf("kernels.%s: %s: %d×%d with leading dimension %d needs %d elements, slice has %d",
			fn, name, rows, cols, ld, need, have))
	}
}

func checkLen(fn, name string, have, need int) {
	if have < need {
		panic(fmt.Sprintf("kernels.%s: %s has %d elements, needs %d", fn, name, have, need))
	}
}

func clearRows[T float32 | int32](c []T, m, n, ldc int) {
	for i := range m {
		clear(c[i*ldc : i*ldc+n])
	}
}
