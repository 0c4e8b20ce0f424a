//go:build !purego

#include "textflag.h"

// One 16-byte step of the AVX2 int8 dot tile for one B row: its int16 values x
// times the two A rows (Y12, Y13), pairs summed into int32 by VPMADDWD (exact:
// |a·b| ≤ 2¹⁴, so a pair sum fits easily), added to acc(0, j) and acc(1, j).
#define I8_COL(x, c0, c1) \
	VPMADDWD x, Y12, Y14; \
	VPADDD   Y14, c0, c0; \
	VPMADDWD x, Y13, Y15; \
	VPADDD   Y15, c1, c1

// func i8DotTileAVX2(k int, a, b *[4]*int8, out *[16]int32)
// out[i*4+j] = Σ a[i][p]·b[j][p] for i < 2, j < 4; k a multiple of 16.
// acc(i, j) lives in Y(2j+i).
TEXT ·i8DotTileAVX2(SB), NOSPLIT, $0-32
	MOVQ  k+0(FP), CX
	SHRQ  $4, CX
	MOVQ  a+8(FP), AX
	MOVQ  0(AX), SI
	MOVQ  8(AX), DI
	MOVQ  b+16(FP), AX
	MOVQ  0(AX), R10
	MOVQ  8(AX), R11
	MOVQ  16(AX), R12
	MOVQ  24(AX), R13
	XORQ  DX, DX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7

tile_loop:
	VPMOVSXBW (SI)(DX*1), Y12
	VPMOVSXBW (DI)(DX*1), Y13
	VPMOVSXBW (R10)(DX*1), Y8
	VPMOVSXBW (R11)(DX*1), Y9
	VPMOVSXBW (R12)(DX*1), Y10
	VPMOVSXBW (R13)(DX*1), Y11
	I8_COL(Y8, Y0, Y1)
	I8_COL(Y9, Y2, Y3)
	I8_COL(Y10, Y4, Y5)
	I8_COL(Y11, Y6, Y7)
	ADDQ $16, DX
	DECQ CX
	JNZ  tile_loop

	// Same reduction as sdotTileAVX2, in integers.
	VPERM2I128  $0x20, Y1, Y0, Y8
	VPERM2I128  $0x31, Y1, Y0, Y9
	VPADDD      Y9, Y8, Y0
	VPERM2I128  $0x20, Y3, Y2, Y8
	VPERM2I128  $0x31, Y3, Y2, Y9
	VPADDD      Y9, Y8, Y2
	VPERM2I128  $0x20, Y5, Y4, Y8
	VPERM2I128  $0x31, Y5, Y4, Y9
	VPADDD      Y9, Y8, Y4
	VPERM2I128  $0x20, Y7, Y6, Y8
	VPERM2I128  $0x31, Y7, Y6, Y9
	VPADDD      Y9, Y8, Y6
	VPUNPCKLDQ  Y2, Y0, Y8
	VPUNPCKHDQ  Y2, Y0, Y9
	VPADDD      Y9, Y8, Y0
	VPUNPCKLDQ  Y6, Y4, Y8
	VPUNPCKHDQ  Y6, Y4, Y9
	VPADDD      Y9, Y8, Y4
	VPUNPCKLQDQ Y4, Y0, Y8
	VPUNPCKHQDQ Y4, Y0, Y9
	VPADDD      Y9, Y8, Y0
	MOVQ        out+24(FP), AX
	VMOVDQU     Y0, (AX)
	VZEROUPPER
	RET

// One quad step of the VNNI micro-kernel for one row: broadcast 4 signed bytes of
// A, multiply with the unsigned (offset) bytes of the two B vectors, 4 products
// summed into each int32 lane (no intermediate saturation).
#define VNNI_ROW(addr, x, c0, c1) \
	VPBROADCASTD addr, x; \
	VPDPBUSD     x, Z24, c0; \
	VPDPBUSD     x, Z25, c1

#define BIAS_ROW(off, c0, c1) \
	VPBROADCASTD off(AX), c0; \
	VMOVDQA32    c0, c1

// func i8MicroVNNI(kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool)
// C[12×32] = (load ? C : bias[row]) + Σ over kq quads of A·(B+128), B packed as kq
// groups of 32 columns × 4 bytes.
TEXT ·i8MicroVNNI(SB), NOSPLIT, $0-57
	MOVQ    kq+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    lda+16(FP), R8
	LEAQ    (R8)(R8*2), R9
	LEAQ    (SI)(R8*4), R10
	LEAQ    (R10)(R8*4), R11
	MOVQ    b+24(FP), DI
	MOVQ    c+32(FP), DX
	MOVQ    ldc+40(FP), R12
	SHLQ    $2, R12
	LEAQ    (R12)(R12*2), R13
	LEAQ    (DX)(R12*4), R14
	LEAQ    (R14)(R12*4), BX
	MOVBLZX load+56(FP), AX
	TESTQ   AX, AX
	JZ      vnni_bias
	VMOVDQU32 (DX), Z0
	VMOVDQU32 64(DX), Z1
	VMOVDQU32 (DX)(R12*1), Z2
	VMOVDQU32 64(DX)(R12*1), Z3
	VMOVDQU32 (DX)(R12*2), Z4
	VMOVDQU32 64(DX)(R12*2), Z5
	VMOVDQU32 (DX)(R13*1), Z6
	VMOVDQU32 64(DX)(R13*1), Z7
	VMOVDQU32 (R14), Z8
	VMOVDQU32 64(R14), Z9
	VMOVDQU32 (R14)(R12*1), Z10
	VMOVDQU32 64(R14)(R12*1), Z11
	VMOVDQU32 (R14)(R12*2), Z12
	VMOVDQU32 64(R14)(R12*2), Z13
	VMOVDQU32 (R14)(R13*1), Z14
	VMOVDQU32 64(R14)(R13*1), Z15
	VMOVDQU32 (BX), Z16
	VMOVDQU32 64(BX), Z17
	VMOVDQU32 (BX)(R12*1), Z18
	VMOVDQU32 64(BX)(R12*1), Z19
	VMOVDQU32 (BX)(R12*2), Z20
	VMOVDQU32 64(BX)(R12*2), Z21
	VMOVDQU32 (BX)(R13*1), Z22
	VMOVDQU32 64(BX)(R13*1), Z23
	JMP       vnni_check

vnni_bias:
	MOVQ bias+48(FP), AX
	BIAS_ROW(0, Z0, Z1)
	BIAS_ROW(4, Z2, Z3)
	BIAS_ROW(8, Z4, Z5)
	BIAS_ROW(12, Z6, Z7)
	BIAS_ROW(16, Z8, Z9)
	BIAS_ROW(20, Z10, Z11)
	BIAS_ROW(24, Z12, Z13)
	BIAS_ROW(28, Z14, Z15)
	BIAS_ROW(32, Z16, Z17)
	BIAS_ROW(36, Z18, Z19)
	BIAS_ROW(40, Z20, Z21)
	BIAS_ROW(44, Z22, Z23)

vnni_check:
	TESTQ CX, CX
	JZ    vnni_store

vnni_loop:
	VMOVDQU32 (DI), Z24
	VMOVDQU32 64(DI), Z25
	VNNI_ROW((SI), Z26, Z0, Z1)
	VNNI_ROW((SI)(R8*1), Z27, Z2, Z3)
	VNNI_ROW((SI)(R8*2), Z28, Z4, Z5)
	VNNI_ROW((SI)(R9*1), Z29, Z6, Z7)
	VNNI_ROW((R10), Z26, Z8, Z9)
	VNNI_ROW((R10)(R8*1), Z27, Z10, Z11)
	VNNI_ROW((R10)(R8*2), Z28, Z12, Z13)
	VNNI_ROW((R10)(R9*1), Z29, Z14, Z15)
	VNNI_ROW((R11), Z26, Z16, Z17)
	VNNI_ROW((R11)(R8*1), Z27, Z18, Z19)
	VNNI_ROW((R11)(R8*2), Z28, Z20, Z21)
	VNNI_ROW((R11)(R9*1), Z29, Z22, Z23)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $128, DI
	DECQ CX
	JNZ  vnni_loop

vnni_store:
	VMOVDQU32 Z0, (DX)
	VMOVDQU32 Z1, 64(DX)
	VMOVDQU32 Z2, (DX)(R12*1)
	VMOVDQU32 Z3, 64(DX)(R12*1)
	VMOVDQU32 Z4, (DX)(R12*2)
	VMOVDQU32 Z5, 64(DX)(R12*2)
	VMOVDQU32 Z6, (DX)(R13*1)
	VMOVDQU32 Z7, 64(DX)(R13*1)
	VMOVDQU32 Z8, (R14)
	VMOVDQU32 Z9, 64(R14)
	VMOVDQU32 Z10, (R14)(R12*1)
	VMOVDQU32 Z11, 64(R14)(R12*1)
	VMOVDQU32 Z12, (R14)(R12*2)
	VMOVDQU32 Z13, 64(R14)(R12*2)
	VMOVDQU32 Z14, (R14)(R13*1)
	VMOVDQU32 Z15, 64(R14)(R13*1)
	VMOVDQU32 Z16, (BX)
	VMOVDQU32 Z17, 64(BX)
	VMOVDQU32 Z18, (BX)(R12*1)
	VMOVDQU32 Z19, 64(BX)(R12*1)
	VMOVDQU32 Z20, (BX)(R12*2)
	VMOVDQU32 Z21, 64(BX)(R12*2)
	VMOVDQU32 Z22, (BX)(R13*1)
	VMOVDQU32 Z23, 64(BX)(R13*1)
	VZEROUPPER
	RET
