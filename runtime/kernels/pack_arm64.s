//go:build !purego

#include "textflag.h"

// Packing a 16-row panel of B for the NEON micro-kernel: rows transposed in 4×4
// blocks (ZIP1/ZIP2 on words, then on doublewords).

// Four rows at R1 (walking down by R2 = ldb bytes) → four columns c0..c3 (.D2).
#define PACK4(c0, c1, c2, c3) \
	VLD1.P (R1)(R2), [V0.S4]; \
	VLD1.P (R1)(R2), [V1.S4]; \
	VLD1.P (R1)(R2), [V2.S4]; \
	VLD1.P (R1)(R2), [V3.S4]; \
	VZIP1  V1.S4, V0.S4, V4.S4; \
	VZIP2  V1.S4, V0.S4, V5.S4; \
	VZIP1  V3.S4, V2.S4, V6.S4; \
	VZIP2  V3.S4, V2.S4, V7.S4; \
	VZIP1  V6.D2, V4.D2, c0; \
	VZIP2  V6.D2, V4.D2, c1; \
	VZIP1  V7.D2, V5.D2, c2; \
	VZIP2  V7.D2, V5.D2, c3

// func packPanelNEON(kw int, b *float32, ldb int, dst *float32)
// dst[p*16 + j] = b[j*ldb + p] for j < 16, p < kw; kw a multiple of 4.
TEXT ·packPanelNEON(SB), NOSPLIT, $0-32
	MOVD kw+0(FP), R0
	LSR  $2, R0, R0
	MOVD b+8(FP), R5
	MOVD ldb+16(FP), R2
	LSL  $2, R2, R2
	MOVD dst+24(FP), R3

pack_loop:
	MOVD   R5, R1
	PACK4(V16.D2, V20.D2, V24.D2, V28.D2)
	PACK4(V17.D2, V21.D2, V25.D2, V29.D2)
	PACK4(V18.D2, V22.D2, V26.D2, V30.D2)
	PACK4(V19.D2, V23.D2, V27.D2, V31.D2)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R3)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R3)
	VST1.P [V24.S4, V25.S4, V26.S4, V27.S4], 64(R3)
	VST1.P [V28.S4, V29.S4, V30.S4, V31.S4], 64(R3)
	ADD    $16, R5, R5
	SUBS   $1, R0, R0
	BNE    pack_loop
	RET
