//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Weight-only int8 × fp32 for NEON: 16 int8 weights are widened (SXTL twice),
// converted (SCVTF) and multiplied with 16 fp32 activations. k a multiple of 16.

// Row at ptr: 16 weights against x in V16..V19 into acc0/acc1 (register numbers).
#define GEMV_ROW(ptr, acc0, acc1) \
	VLD1.P 16(ptr), [V20.B16]; \
	SXTL8H(21, 20); \
	SXTL28H(22, 20); \
	SXTL4S(23, 21); \
	SXTL24S(24, 21); \
	SXTL4S(25, 22); \
	SXTL24S(26, 22); \
	SCVTF4S(23, 23); \
	SCVTF4S(24, 24); \
	SCVTF4S(25, 25); \
	SCVTF4S(26, 26); \
	VFMLA  V16.S4, V23.S4, acc0; \
	VFMLA  V17.S4, V24.S4, acc1; \
	VFMLA  V18.S4, V25.S4, acc0; \
	VFMLA  V19.S4, V26.S4, acc1

// func gemvTileNEON(k int, w *[4]*int8, x *float32, out *[4]float32)
TEXT ·gemvTileNEON(SB), NOSPLIT, $0-32
	MOVD k+0(FP), R0
	LSR  $4, R0, R0
	MOVD w+8(FP), R1
	MOVD 0(R1), R2
	MOVD 8(R1), R3
	MOVD 16(R1), R4
	MOVD 24(R1), R5
	MOVD x+16(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16

gemv_loop:
	VLD1.P 64(R6), [V16.S4, V17.S4, V18.S4, V19.S4]
	GEMV_ROW(R2, V0.S4, V4.S4)
	GEMV_ROW(R3, V1.S4, V5.S4)
	GEMV_ROW(R4, V2.S4, V6.S4)
	GEMV_ROW(R5, V3.S4, V7.S4)
	SUBS $1, R0, R0
	BNE  gemv_loop

	FADD4S(0, 0, 4)
	FADD4S(1, 1, 5)
	FADD4S(2, 2, 6)
	FADD4S(3, 3, 7)
	FREDUCE4(0, 0, 1, 2, 3, 16, 17)
	MOVD out+24(FP), R1
	VST1 [V0.S4], (R1)
	RET

// func dotI8NEON(k int, w *int8, x *float32) float32
TEXT ·dotI8NEON(SB), NOSPLIT, $0-28
	MOVD k+0(FP), R0
	LSR  $4, R0, R0
	MOVD w+8(FP), R2
	MOVD x+16(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V4.B16, V4.B16, V4.B16

dot_loop:
	VLD1.P 64(R6), [V16.S4, V17.S4, V18.S4, V19.S4]
	GEMV_ROW(R2, V0.S4, V4.S4)
	SUBS $1, R0, R0
	BNE  dot_loop

	FADD4S(0, 0, 4)
	FADDP4S(0, 0, 0)
	FADDP4S(0, 0, 0)
	FMOVS F0, ret+24(FP)
	RET
