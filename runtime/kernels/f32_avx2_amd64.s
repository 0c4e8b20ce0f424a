//go:build !purego

#include "textflag.h"

// fp32 kernels for AVX2+FMA. Contracts in impl.go; lengths are multiples of 8.

// func dotAVX2(n int, a, b *float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JL     dot_one

dot_four:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dot_four

dot_one:
	TESTQ CX, CX
	JZ    dot_sum
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot_one

dot_sum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX2(n int, alpha float32, x, y *float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	CMPQ         CX, $32
	JL           axpy_one

axpy_four:
	VMOVUPS     (SI), Y1
	VMOVUPS     32(SI), Y2
	VMOVUPS     64(SI), Y3
	VMOVUPS     96(SI), Y4
	VFMADD213PS (DI), Y0, Y1
	VFMADD213PS 32(DI), Y0, Y2
	VFMADD213PS 64(DI), Y0, Y3
	VFMADD213PS 96(DI), Y0, Y4
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	VMOVUPS     Y3, 64(DI)
	VMOVUPS     Y4, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         axpy_four

axpy_one:
	TESTQ CX, CX
	JZ    axpy_done
	VMOVUPS     (SI), Y1
	VFMADD213PS (DI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy_one

axpy_done:
	VZEROUPPER
	RET

// func scaleAVX2(n int, alpha float32, x *float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	CMPQ         CX, $32
	JL           scale_one

scale_four:
	VMULPS  (SI), Y0, Y1
	VMULPS  32(SI), Y0, Y2
	VMULPS  64(SI), Y0, Y3
	VMULPS  96(SI), Y0, Y4
	VMOVUPS Y1, (SI)
	VMOVUPS Y2, 32(SI)
	VMOVUPS Y3, 64(SI)
	VMOVUPS Y4, 96(SI)
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     scale_four

scale_one:
	TESTQ CX, CX
	JZ    scale_done
	VMULPS  (SI), Y0, Y1
	VMOVUPS Y1, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     scale_one

scale_done:
	VZEROUPPER
	RET

// func sdotTileAVX2(k int, a, b *[4]*float32, out *[16]float32)
// out[i*4+j] = Σ a[i][p]·b[j][p] for i < 2, j < 4; k a multiple of 8.
// acc(i, j) lives in Y(2j+i).
TEXT ·sdotTileAVX2(SB), NOSPLIT, $0-32
	MOVQ   k+0(FP), CX
	SHRQ   $3, CX
	MOVQ   a+8(FP), AX
	MOVQ   0(AX), SI
	MOVQ   8(AX), DI
	MOVQ   b+16(FP), AX
	MOVQ   0(AX), R10
	MOVQ   8(AX), R11
	MOVQ   16(AX), R12
	MOVQ   24(AX), R13
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

tile_loop:
	PREFETCHT0  512(R10)(DX*1)
	PREFETCHT0  512(R11)(DX*1)
	PREFETCHT0  512(R12)(DX*1)
	PREFETCHT0  512(R13)(DX*1)
	VMOVUPS     (R10)(DX*1), Y8
	VMOVUPS     (R11)(DX*1), Y9
	VMOVUPS     (R12)(DX*1), Y10
	VMOVUPS     (R13)(DX*1), Y11
	VMOVUPS     (SI)(DX*1), Y12
	VMOVUPS     (DI)(DX*1), Y13
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y8, Y13, Y1
	VFMADD231PS Y9, Y12, Y2
	VFMADD231PS Y9, Y13, Y3
	VFMADD231PS Y10, Y12, Y4
	VFMADD231PS Y10, Y13, Y5
	VFMADD231PS Y11, Y12, Y6
	VFMADD231PS Y11, Y13, Y7
	ADDQ        $32, DX
	DECQ        CX
	JNZ         tile_loop

	// (Y(2j), Y(2j+1)) → Y(2j) = [partials of acc(0,j) | partials of acc(1,j)].
	VPERM2F128 $0x20, Y1, Y0, Y8
	VPERM2F128 $0x31, Y1, Y0, Y9
	VADDPS     Y9, Y8, Y0
	VPERM2F128 $0x20, Y3, Y2, Y8
	VPERM2F128 $0x31, Y3, Y2, Y9
	VADDPS     Y9, Y8, Y2
	VPERM2F128 $0x20, Y5, Y4, Y8
	VPERM2F128 $0x31, Y5, Y4, Y9
	VADDPS     Y9, Y8, Y4
	VPERM2F128 $0x20, Y7, Y6, Y8
	VPERM2F128 $0x31, Y7, Y6, Y9
	VADDPS     Y9, Y8, Y6

	// Transpose-add in each 128-bit lane: element j of lane i = acc(i, j).
	VUNPCKLPS Y2, Y0, Y8
	VUNPCKHPS Y2, Y0, Y9
	VADDPS    Y9, Y8, Y0
	VUNPCKLPS Y6, Y4, Y8
	VUNPCKHPS Y6, Y4, Y9
	VADDPS    Y9, Y8, Y4
	VUNPCKLPD Y4, Y0, Y8
	VUNPCKHPD Y4, Y0, Y9
	VADDPS    Y9, Y8, Y0
	MOVQ      out+24(FP), AX
	VMOVUPS   Y0, (AX)
	VZEROUPPER
	RET

#define MICRO_ROW(addr, x, c0, c1) \
	VBROADCASTSS addr, x; \
	VFMADD231PS  Y12, x, c0; \
	VFMADD231PS  Y13, x, c1

// func sgemmMicroAVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)
// C[6×16] (= or +=) A[6×kc]·P, P = kc rows of 16 floats.
TEXT ·sgemmMicroAVX2(SB), NOSPLIT, $0-49
	MOVQ    kc+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    lda+16(FP), R8
	SHLQ    $2, R8
	LEAQ    (R8)(R8*2), R9
	LEAQ    (SI)(R8*4), R10
	MOVQ    b+24(FP), DI
	MOVQ    c+32(FP), DX
	MOVQ    ldc+40(FP), R12
	SHLQ    $2, R12
	LEAQ    (R12)(R12*2), R13
	LEAQ    (DX)(R12*4), R14
	MOVBLZX load+48(FP), AX
	TESTQ   AX, AX
	JZ      micro_zero
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS (DX)(R12*1), Y2
	VMOVUPS 32(DX)(R12*1), Y3
	VMOVUPS (DX)(R12*2), Y4
	VMOVUPS 32(DX)(R12*2), Y5
	VMOVUPS (DX)(R13*1), Y6
	VMOVUPS 32(DX)(R13*1), Y7
	VMOVUPS (R14), Y8
	VMOVUPS 32(R14), Y9
	VMOVUPS (R14)(R12*1), Y10
	VMOVUPS 32(R14)(R12*1), Y11
	JMP     micro_check

micro_zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

micro_check:
	TESTQ CX, CX
	JZ    micro_store

micro_loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	MICRO_ROW((SI), Y14, Y0, Y1)
	MICRO_ROW((SI)(R8*1), Y15, Y2, Y3)
	MICRO_ROW((SI)(R8*2), Y14, Y4, Y5)
	MICRO_ROW((SI)(R9*1), Y15, Y6, Y7)
	MICRO_ROW((R10), Y14, Y8, Y9)
	MICRO_ROW((R10)(R8*1), Y15, Y10, Y11)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  micro_loop

micro_store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (DX)(R12*1)
	VMOVUPS Y3, 32(DX)(R12*1)
	VMOVUPS Y4, (DX)(R12*2)
	VMOVUPS Y5, 32(DX)(R12*2)
	VMOVUPS Y6, (DX)(R13*1)
	VMOVUPS Y7, 32(DX)(R13*1)
	VMOVUPS Y8, (R14)
	VMOVUPS Y9, 32(R14)
	VMOVUPS Y10, (R14)(R12*1)
	VMOVUPS Y11, 32(R14)(R12*1)
	VZEROUPPER
	RET
