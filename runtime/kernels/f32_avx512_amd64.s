//go:build !purego

#include "textflag.h"

// fp32 kernels for AVX-512F. Contracts in impl.go; lengths are multiples of 16.

// func dotAVX512(n int, a, b *float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ CX, $64
	JL   dot_one

dot_four:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         dot_four

dot_one:
	TESTQ CX, CX
	JZ    dot_sum
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dot_one

dot_sum:
	VADDPS         Z1, Z0, Z0
	VADDPS         Z3, Z2, Z2
	VADDPS         Z2, Z0, Z0
	VEXTRACTF64X4  $1, Z0, Y1
	VADDPS         Y1, Y0, Y0
	VEXTRACTF128   $1, Y0, X1
	VADDPS         X1, X0, X0
	VMOVHLPS       X0, X0, X1
	VADDPS         X1, X0, X0
	VPSHUFD        $1, X0, X1
	VADDSS         X1, X0, X0
	VMOVSS         X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX512(n int, alpha float32, x, y *float32)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Z0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	CMPQ         CX, $64
	JL           axpy_one

axpy_four:
	VMOVUPS     (SI), Z1
	VMOVUPS     64(SI), Z2
	VMOVUPS     128(SI), Z3
	VMOVUPS     192(SI), Z4
	VFMADD213PS (DI), Z0, Z1
	VFMADD213PS 64(DI), Z0, Z2
	VFMADD213PS 128(DI), Z0, Z3
	VFMADD213PS 192(DI), Z0, Z4
	VMOVUPS     Z1, (DI)
	VMOVUPS     Z2, 64(DI)
	VMOVUPS     Z3, 128(DI)
	VMOVUPS     Z4, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         axpy_four

axpy_one:
	TESTQ CX, CX
	JZ    axpy_done
	VMOVUPS     (SI), Z1
	VFMADD213PS (DI), Z0, Z1
	VMOVUPS     Z1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy_one

axpy_done:
	VZEROUPPER
	RET

// func scaleAVX512(n int, alpha float32, x *float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Z0
	MOVQ         x+16(FP), SI
	CMPQ         CX, $64
	JL           scale_one

scale_four:
	VMULPS  (SI), Z0, Z1
	VMULPS  64(SI), Z0, Z2
	VMULPS  128(SI), Z0, Z3
	VMULPS  192(SI), Z0, Z4
	VMOVUPS Z1, (SI)
	VMOVUPS Z2, 64(SI)
	VMOVUPS Z3, 128(SI)
	VMOVUPS Z4, 192(SI)
	ADDQ    $256, SI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JGE     scale_four

scale_one:
	TESTQ CX, CX
	JZ    scale_done
	VMULPS  (SI), Z0, Z1
	VMOVUPS Z1, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     scale_one

scale_done:
	VZEROUPPER
	RET

// One step of the 4×4 dot tile: A row i (memory at a) against the four B vectors
// Z16..Z19 into the accumulators of column... acc(i, j) lives in Z(4j+i).
#define DOT_ROW(a, x, c0, c1, c2, c3) \
	VMOVUPS     a, x; \
	VFMADD231PS Z16, x, c0; \
	VFMADD231PS Z17, x, c1; \
	VFMADD231PS Z18, x, c2; \
	VFMADD231PS Z19, x, c3

// Sum the 16 lanes of two accumulators x, y into 8: x = [x0+x2 x1+x3 y0+y2 y1+y3]
// (128-bit lanes).
#define FOLD_PAIR(x, y) \
	VSHUFF32X4 $0x44, y, x, Z20; \
	VSHUFF32X4 $0xEE, y, x, Z21; \
	VADDPS     Z21, Z20, x

// Two folded pairs (x,y), (z,w) into one register: 128-bit lane ℓ holds 4
// partial sums of the ℓ-th of x, y, z, w.
#define FOLD_QUAD(s, t) \
	VSHUFF32X4 $0x88, t, s, Z20; \
	VSHUFF32X4 $0xDD, t, s, Z21; \
	VADDPS     Z21, Z20, s

// func sdotTileAVX512(k int, a, b *[4]*float32, out *[16]float32)
// out[i*4+j] = Σ a[i][p]·b[j][p], k a multiple of 16.
TEXT ·sdotTileAVX512(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHRQ $4, CX
	MOVQ a+8(FP), AX
	MOVQ 0(AX), SI
	MOVQ 8(AX), DI
	MOVQ 16(AX), R8
	MOVQ 24(AX), R9
	MOVQ b+16(FP), AX
	MOVQ 0(AX), R10
	MOVQ 8(AX), R11
	MOVQ 16(AX), R12
	MOVQ 24(AX), R13
	XORQ DX, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

tile_loop:
	// Prefetch the B rows: short streams the hardware prefetcher learns late.
	PREFETCHT0 512(R10)(DX*1)
	PREFETCHT0 512(R11)(DX*1)
	PREFETCHT0 512(R12)(DX*1)
	PREFETCHT0 512(R13)(DX*1)
	VMOVUPS (R10)(DX*1), Z16
	VMOVUPS (R11)(DX*1), Z17
	VMOVUPS (R12)(DX*1), Z18
	VMOVUPS (R13)(DX*1), Z19
	DOT_ROW((SI)(DX*1), Z20, Z0, Z4, Z8, Z12)
	DOT_ROW((DI)(DX*1), Z21, Z1, Z5, Z9, Z13)
	DOT_ROW((R8)(DX*1), Z22, Z2, Z6, Z10, Z14)
	DOT_ROW((R9)(DX*1), Z23, Z3, Z7, Z11, Z15)
	ADDQ $64, DX
	DECQ CX
	JNZ  tile_loop

	// Z(4j..4j+3) = acc(0..3, j) → Z(4j) lane ℓ = partial sums of acc(ℓ, j).
	FOLD_PAIR(Z0, Z1)
	FOLD_PAIR(Z2, Z3)
	FOLD_QUAD(Z0, Z2)
	FOLD_PAIR(Z4, Z5)
	FOLD_PAIR(Z6, Z7)
	FOLD_QUAD(Z4, Z6)
	FOLD_PAIR(Z8, Z9)
	FOLD_PAIR(Z10, Z11)
	FOLD_QUAD(Z8, Z10)
	FOLD_PAIR(Z12, Z13)
	FOLD_PAIR(Z14, Z15)
	FOLD_QUAD(Z12, Z14)

	// Transpose-add inside each 128-bit lane: element r of lane ℓ = acc(ℓ, r).
	VUNPCKLPS Z4, Z0, Z20
	VUNPCKHPS Z4, Z0, Z21
	VADDPS    Z21, Z20, Z0
	VUNPCKLPS Z12, Z8, Z20
	VUNPCKHPS Z12, Z8, Z21
	VADDPS    Z21, Z20, Z8
	VUNPCKLPD Z8, Z0, Z20
	VUNPCKHPD Z8, Z0, Z21
	VADDPS    Z21, Z20, Z0
	MOVQ      out+24(FP), AX
	VMOVUPS   Z0, (AX)
	VZEROUPPER
	RET

// One k step of the 12×32 micro-kernel for one row: broadcast A, two FMAs.
#define MICRO_ROW(addr, x, c0, c1) \
	VBROADCASTSS addr, x; \
	VFMADD231PS  Z24, x, c0; \
	VFMADD231PS  Z25, x, c1

// func sgemmMicroAVX512(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)
// C[12×32] (= or +=) A[12×kc]·P, P = kc rows of 32 floats.
TEXT ·sgemmMicroAVX512(SB), NOSPLIT, $0-49
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R11
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (DX)(R12*4), R14
	LEAQ (R14)(R12*4), BX
	MOVBLZX load+48(FP), AX
	TESTQ AX, AX
	JZ    micro_zero
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS (DX)(R12*1), Z2
	VMOVUPS 64(DX)(R12*1), Z3
	VMOVUPS (DX)(R12*2), Z4
	VMOVUPS 64(DX)(R12*2), Z5
	VMOVUPS (DX)(R13*1), Z6
	VMOVUPS 64(DX)(R13*1), Z7
	VMOVUPS (R14), Z8
	VMOVUPS 64(R14), Z9
	VMOVUPS (R14)(R12*1), Z10
	VMOVUPS 64(R14)(R12*1), Z11
	VMOVUPS (R14)(R12*2), Z12
	VMOVUPS 64(R14)(R12*2), Z13
	VMOVUPS (R14)(R13*1), Z14
	VMOVUPS 64(R14)(R13*1), Z15
	VMOVUPS (BX), Z16
	VMOVUPS 64(BX), Z17
	VMOVUPS (BX)(R12*1), Z18
	VMOVUPS 64(BX)(R12*1), Z19
	VMOVUPS (BX)(R12*2), Z20
	VMOVUPS 64(BX)(R12*2), Z21
	VMOVUPS (BX)(R13*1), Z22
	VMOVUPS 64(BX)(R13*1), Z23
	JMP     micro_check

micro_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

micro_check:
	TESTQ CX, CX
	JZ    micro_store

micro_loop:
	VMOVUPS (DI), Z24
	VMOVUPS 64(DI), Z25
	// The panels stream in order: fetch 64 steps (8 KiB) ahead, so that a weight
	// coming from memory (a product with few rows uses each panel once or twice)
	// arrives while the previous panel is multiplied. Prefetches never fault.
	PREFETCHT0 8192(DI)
	MICRO_ROW((SI), Z26, Z0, Z1)
	MICRO_ROW((SI)(R8*1), Z27, Z2, Z3)
	MICRO_ROW((SI)(R8*2), Z28, Z4, Z5)
	MICRO_ROW((SI)(R9*1), Z29, Z6, Z7)
	MICRO_ROW((R10), Z26, Z8, Z9)
	MICRO_ROW((R10)(R8*1), Z27, Z10, Z11)
	MICRO_ROW((R10)(R8*2), Z28, Z12, Z13)
	MICRO_ROW((R10)(R9*1), Z29, Z14, Z15)
	MICRO_ROW((R11), Z26, Z16, Z17)
	MICRO_ROW((R11)(R8*1), Z27, Z18, Z19)
	MICRO_ROW((R11)(R8*2), Z28, Z20, Z21)
	MICRO_ROW((R11)(R9*1), Z29, Z22, Z23)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $128, DI
	DECQ CX
	JNZ  micro_loop

micro_store:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, (DX)(R12*1)
	VMOVUPS Z3, 64(DX)(R12*1)
	VMOVUPS Z4, (DX)(R12*2)
	VMOVUPS Z5, 64(DX)(R12*2)
	VMOVUPS Z6, (DX)(R13*1)
	VMOVUPS Z7, 64(DX)(R13*1)
	VMOVUPS Z8, (R14)
	VMOVUPS Z9, 64(R14)
	VMOVUPS Z10, (R14)(R12*1)
	VMOVUPS Z11, 64(R14)(R12*1)
	VMOVUPS Z12, (R14)(R12*2)
	VMOVUPS Z13, 64(R14)(R12*2)
	VMOVUPS Z14, (R14)(R13*1)
	VMOVUPS Z15, 64(R14)(R13*1)
	VMOVUPS Z16, (BX)
	VMOVUPS Z17, 64(BX)
	VMOVUPS Z18, (BX)(R12*1)
	VMOVUPS Z19, 64(BX)(R12*1)
	VMOVUPS Z20, (BX)(R12*2)
	VMOVUPS Z21, 64(BX)(R12*2)
	VMOVUPS Z22, (BX)(R13*1)
	VMOVUPS Z23, 64(BX)(R13*1)
	VZEROUPPER
	RET
