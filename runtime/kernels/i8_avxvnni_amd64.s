//go:build !purego

#include "textflag.h"
#include "vnni_amd64.h"

// The int8 micro-kernel for AVX2 CPUs with AVX-VNNI (Intel Alder Lake and later
// client cores, e.g. the N100): the AVX-512 VNNI kernel's arithmetic on 256-bit
// vectors, C[6×16] from panels of 16 columns × 4 bytes.

// One quad step for one row: broadcast 4 signed bytes of A into Y14, multiply with
// the unsigned (offset) bytes of B in Y12 and Y13.
#define AVXVNNI_ROW(addr, c0, c1) \
	VPBROADCASTD addr, Y14; \
	VPDPBUSD_VEX(c0, 12, 14); \
	VPDPBUSD_VEX(c1, 13, 14)

#define AVXVNNI_BIAS(off, c0, c1) \
	VPBROADCASTD off(AX), c0; \
	VMOVDQA      c0, c1

// func i8MicroAVXVNNI(kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool)
// C[6×16] = (load ? C : bias[row]) + Σ over kq quads of A·(B+128), B packed as kq
// groups of 16 columns × 4 bytes.
TEXT ·i8MicroAVXVNNI(SB), NOSPLIT, $0-57
	MOVQ    kq+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    lda+16(FP), R8
	LEAQ    (R8)(R8*2), R9
	LEAQ    (SI)(R8*4), R10
	MOVQ    b+24(FP), DI
	MOVQ    c+32(FP), DX
	MOVQ    ldc+40(FP), R12
	SHLQ    $2, R12
	LEAQ    (R12)(R12*2), R13
	LEAQ    (DX)(R12*4), R14
	MOVBLZX load+56(FP), AX
	TESTQ   AX, AX
	JZ      avxvnni_bias
	VMOVDQU (DX), Y0
	VMOVDQU 32(DX), Y1
	VMOVDQU (DX)(R12*1), Y2
	VMOVDQU 32(DX)(R12*1), Y3
	VMOVDQU (DX)(R12*2), Y4
	VMOVDQU 32(DX)(R12*2), Y5
	VMOVDQU (DX)(R13*1), Y6
	VMOVDQU 32(DX)(R13*1), Y7
	VMOVDQU (R14), Y8
	VMOVDQU 32(R14), Y9
	VMOVDQU (R14)(R12*1), Y10
	VMOVDQU 32(R14)(R12*1), Y11
	JMP     avxvnni_check

avxvnni_bias:
	MOVQ bias+48(FP), AX
	AVXVNNI_BIAS(0, Y0, Y1)
	AVXVNNI_BIAS(4, Y2, Y3)
	AVXVNNI_BIAS(8, Y4, Y5)
	AVXVNNI_BIAS(12, Y6, Y7)
	AVXVNNI_BIAS(16, Y8, Y9)
	AVXVNNI_BIAS(20, Y10, Y11)

avxvnni_check:
	TESTQ CX, CX
	JZ    avxvnni_store

avxvnni_loop:
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	AVXVNNI_ROW((SI), 0, 1)
	AVXVNNI_ROW((SI)(R8*1), 2, 3)
	AVXVNNI_ROW((SI)(R8*2), 4, 5)
	AVXVNNI_ROW((SI)(R9*1), 6, 7)
	AVXVNNI_ROW((R10), 8, 9)
	AVXVNNI_ROW((R10)(R8*1), 10, 11)
	ADDQ    $4, SI
	ADDQ    $4, R10
	ADDQ    $64, DI
	DECQ    CX
	JNZ     avxvnni_loop

avxvnni_store:
	VMOVDQU Y0, (DX)
	VMOVDQU Y1, 32(DX)
	VMOVDQU Y2, (DX)(R12*1)
	VMOVDQU Y3, 32(DX)(R12*1)
	VMOVDQU Y4, (DX)(R12*2)
	VMOVDQU Y5, 32(DX)(R12*2)
	VMOVDQU Y6, (DX)(R13*1)
	VMOVDQU Y7, 32(DX)(R13*1)
	VMOVDQU Y8, (R14)
	VMOVDQU Y9, 32(R14)
	VMOVDQU Y10, (R14)(R12*1)
	VMOVDQU Y11, 32(R14)(R12*1)
	VZEROUPPER
	RET
