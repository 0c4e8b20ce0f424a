//go:build !amd64 || purego

package kernels

// i8MaddMicro exists on amd64 only; no other set has i8Shape.madd.
func i8MaddMicro(kq int, a *int16, lda int, b *int16, c *int32, ldc int) {
	panic("kernels: the VPMADDWD int8 kernel needs amd64")
}

func widenI8(src []int8, dst []int16) {
	for i, v := range src {
		dst[i] = int16(v)
	}
}
