//go:build !purego

#include "textflag.h"

// The int8 micro-kernel for AVX2 CPUs without VNNI (gemm_i8_madd.go): int8 values
// widened to int16, VPMADDWD multiplies 16 pairs and adds each pair into an int32 lane,
// exact (the one pair it cannot hold, −32768·−32768 twice, needs int16 inputs beyond
// int8). Its int8 sibling VPMADDUBSW saturates at 32767, which −128·−128 + −128·−128
// passes.

// Row r's four partial sums for panel ymm c (columns as packPanelMadd lays them).
#define MADD(boff, arow, acc) \
	VPMADDWD boff(DI), arow, Y15; \
	VPADDD   Y15, acc, acc

// func i8MaddMicro(kq int, a *int16, lda int, b *int16, c *int32, ldc int)
// C[3×16] = A[3×4kq]·P: A rows of int16 (lda elements apart), P kq quads of the
// panel (64 int16 each).
TEXT ·i8MaddMicro(SB), NOSPLIT, $0-48
	MOVQ kq+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $1, R8
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R12
	SHLQ $2, R12
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	TESTQ CX, CX
	JZ    madd_store

madd_loop:
	VPBROADCASTQ (SI), Y12       // row 0's quad, four times
	VPBROADCASTQ (SI)(R8*1), Y13 // row 1
	VPBROADCASTQ (SI)(R8*2), Y14 // row 2
	MADD(0, Y12, Y0)
	MADD(0, Y13, Y4)
	MADD(0, Y14, Y8)
	MADD(32, Y12, Y1)
	MADD(32, Y13, Y5)
	MADD(32, Y14, Y9)
	MADD(64, Y12, Y2)
	MADD(64, Y13, Y6)
	MADD(64, Y14, Y10)
	MADD(96, Y12, Y3)
	MADD(96, Y13, Y7)
	MADD(96, Y14, Y11)
	ADDQ $8, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  madd_loop

madd_store:
	// Pairwise sums put each row's columns in order (packPanelMadd's layout).
	VPHADDD Y1, Y0, Y0
	VPHADDD Y3, Y2, Y2
	VMOVDQU Y0, (DX)
	VMOVDQU Y2, 32(DX)
	ADDQ    R12, DX
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VMOVDQU Y4, (DX)
	VMOVDQU Y6, 32(DX)
	ADDQ    R12, DX
	VPHADDD Y9, Y8, Y8
	VPHADDD Y11, Y10, Y10
	VMOVDQU Y8, (DX)
	VMOVDQU Y10, 32(DX)
	VZEROUPPER
	RET

// func widenI8AVX2(n int, src *int8, dst *int16)
// dst[i] = src[i] for i < n, n a multiple of 16.
TEXT ·widenI8AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI
	SHRQ $4, CX
	JZ   widen_done

widen_loop:
	VPMOVSXBW (SI), Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       widen_loop

widen_done:
	VZEROUPPER
	RET
