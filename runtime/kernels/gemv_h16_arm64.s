//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// 16-bit weight × fp32 for NEON: 16 weights are widened to fp32 (FCVTL/FCVTL2 for
// fp16, SHLL/SHLL2 by 16 for bfloat16) and multiplied with 16 fp32 activations.
// k (and n for the widening) a multiple of 16.

// Row at ptr: 16 weights against x in V16..V19 into acc0/acc1, widened by lo/hi.
#define H16_ROW(ptr, lo, hi, acc0, acc1) \
	VLD1.P 32(ptr), [V20.H8, V21.H8]; \
	lo(22, 20); \
	hi(23, 20); \
	lo(24, 21); \
	hi(25, 21); \
	VFMLA  V16.S4, V22.S4, acc0; \
	VFMLA  V17.S4, V23.S4, acc1; \
	VFMLA  V18.S4, V24.S4, acc0; \
	VFMLA  V19.S4, V25.S4, acc1

#define H16_PROLOGUE \
	MOVD k+0(FP), R0; \
	LSR  $4, R0, R0; \
	MOVD w+8(FP), R1; \
	MOVD 0(R1), R2; \
	MOVD 8(R1), R3; \
	MOVD 16(R1), R4; \
	MOVD 24(R1), R5; \
	MOVD x+16(FP), R6; \
	VEOR V0.B16, V0.B16, V0.B16; \
	VEOR V1.B16, V1.B16, V1.B16; \
	VEOR V2.B16, V2.B16, V2.B16; \
	VEOR V3.B16, V3.B16, V3.B16; \
	VEOR V4.B16, V4.B16, V4.B16; \
	VEOR V5.B16, V5.B16, V5.B16; \
	VEOR V6.B16, V6.B16, V6.B16; \
	VEOR V7.B16, V7.B16, V7.B16

#define H16_EPILOGUE \
	FADD4S(0, 0, 4); \
	FADD4S(1, 1, 5); \
	FADD4S(2, 2, 6); \
	FADD4S(3, 3, 7); \
	FREDUCE4(0, 0, 1, 2, 3, 16, 17); \
	MOVD out+24(FP), R1; \
	VST1 [V0.S4], (R1)

// func gemvTileF16NEON(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileF16NEON(SB), NOSPLIT, $0-32
	H16_PROLOGUE

f16_loop:
	VLD1.P 64(R6), [V16.S4, V17.S4, V18.S4, V19.S4]
	H16_ROW(R2, FCVTL4S, FCVTL24S, V0.S4, V4.S4)
	H16_ROW(R3, FCVTL4S, FCVTL24S, V1.S4, V5.S4)
	H16_ROW(R4, FCVTL4S, FCVTL24S, V2.S4, V6.S4)
	H16_ROW(R5, FCVTL4S, FCVTL24S, V3.S4, V7.S4)
	SUBS $1, R0, R0
	BNE  f16_loop

	H16_EPILOGUE
	RET

// func gemvTileBF16NEON(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileBF16NEON(SB), NOSPLIT, $0-32
	H16_PROLOGUE

bf16_loop:
	VLD1.P 64(R6), [V16.S4, V17.S4, V18.S4, V19.S4]
	H16_ROW(R2, SHLL16_4S, SHLL216_4S, V0.S4, V4.S4)
	H16_ROW(R3, SHLL16_4S, SHLL216_4S, V1.S4, V5.S4)
	H16_ROW(R4, SHLL16_4S, SHLL216_4S, V2.S4, V6.S4)
	H16_ROW(R5, SHLL16_4S, SHLL216_4S, V3.S4, V7.S4)
	SUBS $1, R0, R0
	BNE  bf16_loop

	H16_EPILOGUE
	RET

#define WIDEN16(lo, hi) \
	VLD1.P 32(R1), [V0.H8, V1.H8]; \
	lo(2, 0); \
	hi(3, 0); \
	lo(4, 1); \
	hi(5, 1); \
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R2)

// func widenF16NEON(n int, src *uint16, dst *float32)
TEXT ·widenF16NEON(SB), NOSPLIT, $0-24
	MOVD n+0(FP), R0
	LSR  $4, R0, R0
	MOVD src+8(FP), R1
	MOVD dst+16(FP), R2

widenf16_loop:
	WIDEN16(FCVTL4S, FCVTL24S)
	SUBS $1, R0, R0
	BNE  widenf16_loop
	RET

// func widenBF16NEON(n int, src *uint16, dst *float32)
TEXT ·widenBF16NEON(SB), NOSPLIT, $0-24
	MOVD n+0(FP), R0
	LSR  $4, R0, R0
	MOVD src+8(FP), R1
	MOVD dst+16(FP), R2

widenbf16_loop:
	WIDEN16(SHLL16_4S, SHLL216_4S)
	SUBS $1, R0, R0
	BNE  widenbf16_loop
	RET
