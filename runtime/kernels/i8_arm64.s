//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// int8 dot tiles for NEON: out[i*4+j] = Σ a[i][p]·b[j][p] (exact int32), 4×4,
// k a multiple of 16. acc(i, j) lives in V(4i+j); A rows in V20..V23, B rows in
// V16..V19.

#define I8_TILE_PROLOGUE \
	MOVD k+0(FP), R0; \
	LSR  $4, R0, R0; \
	MOVD a+8(FP), R1; \
	MOVD 0(R1), R2; \
	MOVD 8(R1), R3; \
	MOVD 16(R1), R4; \
	MOVD 24(R1), R5; \
	MOVD b+16(FP), R1; \
	MOVD 0(R1), R6; \
	MOVD 8(R1), R7; \
	MOVD 16(R1), R8; \
	MOVD 24(R1), R9; \
	VEOR V0.B16, V0.B16, V0.B16; \
	VEOR V1.B16, V1.B16, V1.B16; \
	VEOR V2.B16, V2.B16, V2.B16; \
	VEOR V3.B16, V3.B16, V3.B16; \
	VEOR V4.B16, V4.B16, V4.B16; \
	VEOR V5.B16, V5.B16, V5.B16; \
	VEOR V6.B16, V6.B16, V6.B16; \
	VEOR V7.B16, V7.B16, V7.B16; \
	VEOR V8.B16, V8.B16, V8.B16; \
	VEOR V9.B16, V9.B16, V9.B16; \
	VEOR V10.B16, V10.B16, V10.B16; \
	VEOR V11.B16, V11.B16, V11.B16; \
	VEOR V12.B16, V12.B16, V12.B16; \
	VEOR V13.B16, V13.B16, V13.B16; \
	VEOR V14.B16, V14.B16, V14.B16; \
	VEOR V15.B16, V15.B16, V15.B16

#define I8_TILE_LOADS \
	VLD1.P 16(R6), [V16.B16]; \
	VLD1.P 16(R7), [V17.B16]; \
	VLD1.P 16(R8), [V18.B16]; \
	VLD1.P 16(R9), [V19.B16]; \
	VLD1.P 16(R2), [V20.B16]; \
	VLD1.P 16(R3), [V21.B16]; \
	VLD1.P 16(R4), [V22.B16]; \
	VLD1.P 16(R5), [V23.B16]

#define I8_TILE_EPILOGUE \
	IREDUCE4(0, 0, 1, 2, 3, 16, 17); \
	IREDUCE4(1, 4, 5, 6, 7, 16, 17); \
	IREDUCE4(2, 8, 9, 10, 11, 16, 17); \
	IREDUCE4(3, 12, 13, 14, 15, 16, 17); \
	MOVD out+24(FP), R1; \
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R1)

// func i8DotTileSDOT(k int, a, b *[4]*int8, out *[16]int32)
TEXT ·i8DotTileSDOT(SB), NOSPLIT, $0-32
	I8_TILE_PROLOGUE

sdot_loop:
	I8_TILE_LOADS
	SDOT16B(0, 20, 16)
	SDOT16B(1, 20, 17)
	SDOT16B(2, 20, 18)
	SDOT16B(3, 20, 19)
	SDOT16B(4, 21, 16)
	SDOT16B(5, 21, 17)
	SDOT16B(6, 21, 18)
	SDOT16B(7, 21, 19)
	SDOT16B(8, 22, 16)
	SDOT16B(9, 22, 17)
	SDOT16B(10, 22, 18)
	SDOT16B(11, 22, 19)
	SDOT16B(12, 23, 16)
	SDOT16B(13, 23, 17)
	SDOT16B(14, 23, 18)
	SDOT16B(15, 23, 19)
	SUBS $1, R0, R0
	BNE  sdot_loop
	I8_TILE_EPILOGUE
	RET

// Without SDOT: int8·int8 products are exact in int16 (|p| ≤ 2¹⁴); SMULL/SMULL2
// make 16 of them, SADALP adds them pairwise into the int32 accumulator.
#define MUL_ACC(acc, x, y, t, u) \
	SMULL8H(t, x, y); \
	SMULL28H(u, x, y); \
	SADALP4S(acc, t); \
	SADALP4S(acc, u)

// func i8DotTileNEON(k int, a, b *[4]*int8, out *[16]int32)
TEXT ·i8DotTileNEON(SB), NOSPLIT, $0-32
	I8_TILE_PROLOGUE

smull_loop:
	I8_TILE_LOADS
	MUL_ACC(0, 20, 16, 24, 25)
	MUL_ACC(1, 20, 17, 26, 27)
	MUL_ACC(2, 20, 18, 28, 29)
	MUL_ACC(3, 20, 19, 30, 31)
	MUL_ACC(4, 21, 16, 24, 25)
	MUL_ACC(5, 21, 17, 26, 27)
	MUL_ACC(6, 21, 18, 28, 29)
	MUL_ACC(7, 21, 19, 30, 31)
	MUL_ACC(8, 22, 16, 24, 25)
	MUL_ACC(9, 22, 17, 26, 27)
	MUL_ACC(10, 22, 18, 28, 29)
	MUL_ACC(11, 22, 19, 30, 31)
	MUL_ACC(12, 23, 16, 24, 25)
	MUL_ACC(13, 23, 17, 26, 27)
	MUL_ACC(14, 23, 18, 28, 29)
	MUL_ACC(15, 23, 19, 30, 31)
	SUBS $1, R0, R0
	BNE  smull_loop
	I8_TILE_EPILOGUE
	RET
