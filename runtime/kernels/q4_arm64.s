//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Int4 (Q4) weights × fp32 activations for NEON, one row: a 16-byte block is split
// into its low nibbles (weights 0..15) and high nibbles (16..31), offset by 8,
// widened (SXTL twice), converted (SCVTF) and multiplied with x. A group's sum is
// scaled by its fp16 scale (FCVT) into the row's total.

// Sixteen int8 weights in register v against x in x0..x3 into acc0/acc1 (numbers).
#define Q4_HALF(v, x0, x1, x2, x3, acc0, acc1) \
	SXTL8H(5, v); \
	SXTL28H(6, v); \
	SXTL4S(24, 5); \
	SXTL24S(25, 5); \
	SXTL4S(26, 6); \
	SXTL24S(27, 6); \
	SCVTF4S(24, 24); \
	SCVTF4S(25, 25); \
	SCVTF4S(26, 26); \
	SCVTF4S(27, 27); \
	FMLA4S(acc0, 24, x0); \
	FMLA4S(acc1, 25, x1); \
	FMLA4S(acc0, 26, x2); \
	FMLA4S(acc1, 27, x3)

// func q4DotNEON(groups, gsize int, w *uint8, s *uint16, x *float32) float32
TEXT ·q4DotNEON(SB), NOSPLIT, $0-44
	MOVD groups+0(FP), R0
	MOVD gsize+8(FP), R1
	LSR  $5, R1, R1
	MOVD w+16(FP), R2
	MOVD s+24(FP), R3
	MOVD x+32(FP), R4
	MOVI16B(31, 15)
	MOVI16B(30, 8)
	VEOR V0.B16, V0.B16, V0.B16

q4_group:
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	MOVD R1, R5

q4_block:
	VLD1.P 16(R2), [V3.B16]
	VLD1.P 64(R4), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R4), [V20.S4, V21.S4, V22.S4, V23.S4]
	USHR16B4(4, 3)
	AND16B(3, 3, 31)
	SUB16B(3, 3, 30)
	SUB16B(4, 4, 30)
	Q4_HALF(3, 16, 17, 18, 19, 1, 2)
	Q4_HALF(4, 20, 21, 22, 23, 1, 2)
	SUBS $1, R5, R5
	BNE  q4_block

	FADD4S(1, 1, 2)
	MOVHU.P 2(R3), R6
	VMOV    R6, V7.H[0]
	FCVTSH(7, 7)
	VDUP    V7.S[0], V7.S4
	FMLA4S(0, 1, 7)
	SUBS $1, R0, R0
	BNE  q4_group

	FADDP4S(0, 0, 0)
	FADDP4S(0, 0, 0)
	FMOVS F0, ret+40(FP)
	RET
