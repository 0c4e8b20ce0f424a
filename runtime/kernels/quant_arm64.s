//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Symmetric int8 quantization for NEON. FCVTAS rounds to nearest with ties away
// from zero, gives 0 for NaN and saturates, which is quantizeOne exactly once the
// result is narrowed with saturation and clamped at −127.

// func maxAbsNEON(n int, x *float32) float32   (n a multiple of 16)
TEXT ·maxAbsNEON(SB), NOSPLIT, $0-20
	MOVD n+0(FP), R0
	LSR  $4, R0, R0
	MOVD x+8(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16

max_loop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FABS4S(4, 4)
	FABS4S(5, 5)
	FABS4S(6, 6)
	FABS4S(7, 7)
	// FMAXNM: a quiet NaN loses to the number, as the portable loop skips it.
	FMAXNM4S(0, 0, 4)
	FMAXNM4S(1, 1, 5)
	FMAXNM4S(0, 0, 6)
	FMAXNM4S(1, 1, 7)
	SUBS $1, R0, R0
	BNE  max_loop

	FMAXNM4S(0, 0, 1)
	FMAXNMV4S(0, 0)
	FMOVS F0, ret+16(FP)
	RET

// func quantizeNEON(n int, x *float32, inv float32, q *int8)   (n a multiple of 16)
TEXT ·quantizeNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	LSR   $4, R0, R0
	MOVD  x+8(FP), R1
	FMOVS inv+16(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  q+24(FP), R2
	VMOVI $129, V30.B16 // −127 in every byte

quant_loop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4S(4, 4, 0)
	FMUL4S(5, 5, 0)
	FMUL4S(6, 6, 0)
	FMUL4S(7, 7, 0)
	FCVTAS4S(4, 4)
	FCVTAS4S(5, 5)
	FCVTAS4S(6, 6)
	FCVTAS4S(7, 7)
	SQXTN4H(16, 4)
	SQXTN28H(16, 5)
	SQXTN4H(17, 6)
	SQXTN28H(17, 7)
	SQXTN8B(18, 16)
	SQXTN216B(18, 17)
	SMAX16B(18, 18, 30)
	VST1.P [V18.B16], 16(R2)
	SUBS   $1, R0, R0
	BNE    quant_loop
	RET
