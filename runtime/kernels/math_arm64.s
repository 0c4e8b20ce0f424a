//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Element-wise math on NEON: the formulas of math.go on 4-lane vectors, as
// math_amd64.s computes them on 16 (lengths are multiples of 4 unless said).
// Instructions the Go assembler lacks are WORDs from neon_arm64.h, so registers are
// named by number in them: V16..V28 hold the exp constants (EXPCONST).

#define DUPC(bits, v) \
	MOVW $bits, R9; \
	VDUP R9, v

// EXPCONST: V16 log₂e, V17 1.5·2²³, V18 −80, V19 88, V20 and V21 ln2 in two parts,
// V22..V26 1/7!..1/3!, V27 0.5, V28 1.
#define EXPCONST \
	DUPC(0x3fb8aa3b, V16.S4); \
	DUPC(0x4b400000, V17.S4); \
	DUPC(0xc2a00000, V18.S4); \
	DUPC(0x42b00000, V19.S4); \
	DUPC(0x3f318000, V20.S4); \
	DUPC(0xb95e8083, V21.S4); \
	DUPC(0x39500d01, V22.S4); \
	DUPC(0x3ab60b61, V23.S4); \
	DUPC(0x3c088889, V24.S4); \
	DUPC(0x3d2aaaab, V25.S4); \
	DUPC(0x3e2aaaab, V26.S4); \
	DUPC(0x3f000000, V27.S4); \
	DUPC(0x3f800000, V28.S4)

// EXP4 sets Vp = exp(Vx), and 0 where x < −80 or x is NaN; x, n, m and t are
// clobbered (register numbers). The steps of EXP512 (math_amd64.s); FMLA
// accumulates into its destination, so each Horner step starts from a copy of its
// coefficient, alternating between p and t.
#define EXP4(x, n, p, m, t) \
	FCMGE4S(m, x, 18); \
	FMIN4S(x, x, 19); \
	MOV16B(n, 17); \
	FMLA4S(n, x, 16); \
	FSUB4S(p, n, 17); \
	FMLS4S(x, p, 20); \
	FMLS4S(x, p, 21); \
	MOV16B(p, 23); \
	FMLA4S(p, x, 22); \
	MOV16B(t, 24); \
	FMLA4S(t, x, p); \
	MOV16B(p, 25); \
	FMLA4S(p, x, t); \
	MOV16B(t, 26); \
	FMLA4S(t, x, p); \
	MOV16B(p, 27); \
	FMLA4S(p, x, t); \
	MOV16B(t, 28); \
	FMLA4S(t, x, p); \
	MOV16B(p, 28); \
	FMLA4S(p, x, t); \
	SHL4S23(n, n); \
	ADD4S(p, p, n); \
	AND16B(p, p, m)

// func maxNEON(n int, x *float32) float32
// FMAXNM: a quiet NaN loses to the number, as maxGo skips NaN elements.
TEXT ·maxNEON(SB), NOSPLIT, $0-20
	MOVD n+0(FP), R0
	MOVD x+8(FP), R1
	DUPC(0xff800000, V0.S4) // −Inf
	VMOV V0.B16, V1.B16
	CMP  $8, R0
	BLT  max_one

max_two:
	VLD1.P 32(R1), [V2.S4, V3.S4]
	FMAXNM4S(0, 0, 2)
	FMAXNM4S(1, 1, 3)
	SUB    $8, R0
	CMP    $8, R0
	BGE    max_two

max_one:
	CBZ    R0, max_reduce
	VLD1.P 16(R1), [V2.S4]
	FMAXNM4S(0, 0, 2)

max_reduce:
	FMAXNM4S(0, 0, 1)
	FMAXNMV4S(0, 0)
	FMOVS F0, ret+16(FP)
	RET

// func expShiftNEON(n int, x *float32, shift float32) float32
TEXT ·expShiftNEON(SB), NOSPLIT, $0-28
	MOVD  n+0(FP), R0
	MOVD  x+8(FP), R1
	FMOVS shift+16(FP), F7
	VDUP  V7.S[0], V7.S4
	EXPCONST
	VEOR  V5.B16, V5.B16, V5.B16

exp_loop:
	VLD1   (R1), [V0.S4]
	FSUB4S(0, 0, 7)
	EXP4(0, 1, 2, 3, 4)
	VST1.P [V2.S4], 16(R1)
	FADD4S(5, 5, 2)
	SUBS   $4, R0, R0
	BNE    exp_loop

	FADDP4S(5, 5, 5)
	FADDP4S(5, 5, 5)
	FMOVS F5, ret+24(FP)
	RET

// func geluNEON(n int, x *float32)
// As geluAVX512: GELU = x·(1 + erf(z))/2, z = x/√2 clamped to [−4, 4], erf =
// z·P(z²)/Q(z²) at least −1 (math.go's rational fit).
TEXT ·geluNEON(SB), NOSPLIT, $0-16
	MOVD n+0(FP), R0
	MOVD x+8(FP), R1
	DUPC(0x3f3504f3, V29.S4) // 1/√2
	DUPC(0x40800000, V30.S4) // 4
	DUPC(0xc0800000, V31.S4) // −4
	DUPC(0xbf800000, V27.S4) // −1
	DUPC(0x3f000000, V28.S4) // 0.5
	DUPC(0x3f800000, V26.S4) // 1 (q0)
	DUPC(0x3f906ebb, V8.S4)  // P: p0..p6 in V8..V14
	DUPC(0x3e3d2716, V9.S4)
	DUPC(0x3d5eafa5, V10.S4)
	DUPC(0x3b7bf24b, V11.S4)
	DUPC(0x39c96868, V12.S4)
	DUPC(0x36a1ac26, V13.S4)
	DUPC(0xb26e14b1, V14.S4)
	DUPC(0x3efe7b9d, V15.S4) // Q: q1..q5 in V15..V19
	DUPC(0x3de92f0b, V16.S4)
	DUPC(0x3c7d6d81, V17.S4)
	DUPC(0x3aac0ace, V18.S4)
	DUPC(0x3886ff04, V19.S4)

gelu_loop:
	VLD1 (R1), [V0.S4]
	FMUL4S(1, 0, 29)
	FMIN4S(1, 1, 30)
	FMAX4S(1, 1, 31) // z
	FMUL4S(2, 1, 1)  // z²
	MOV16B(3, 13)
	FMLA4S(3, 2, 14)
	MOV16B(4, 12)
	FMLA4S(4, 2, 3)
	MOV16B(3, 11)
	FMLA4S(3, 2, 4)
	MOV16B(4, 10)
	FMLA4S(4, 2, 3)
	MOV16B(3, 9)
	FMLA4S(3, 2, 4)
	MOV16B(4, 8)
	FMLA4S(4, 2, 3)  // P
	MOV16B(5, 18)
	FMLA4S(5, 2, 19)
	MOV16B(6, 17)
	FMLA4S(6, 2, 5)
	MOV16B(5, 16)
	FMLA4S(5, 2, 6)
	MOV16B(6, 15)
	FMLA4S(6, 2, 5)
	MOV16B(5, 26)
	FMLA4S(5, 2, 6)  // Q
	FMUL4S(4, 4, 1)
	FDIV4S(4, 4, 5)  // erf
	FMAX4S(4, 4, 27)
	MOV16B(6, 28)
	FMLA4S(6, 4, 28) // (1 + erf)/2
	FMUL4S(0, 0, 6)
	VST1.P [V0.S4], 16(R1)
	SUBS   $4, R0, R0
	BNE    gelu_loop
	RET

// func geluTanhNEON(n int, x *float32)
TEXT ·geluTanhNEON(SB), NOSPLIT, $0-16
	MOVD n+0(FP), R0
	MOVD x+8(FP), R1
	EXPCONST
	DUPC(0x3d372713, V29.S4) // 0.044715
	DUPC(0xbfcc422a, V30.S4) // −2·√(2/π)

gelut_loop:
	VLD1 (R1), [V0.S4]
	FMUL4S(1, 0, 0)
	MOV16B(2, 28)
	FMLA4S(2, 1, 29)  // 1 + 0.044715·x²
	FMUL4S(2, 2, 0)
	FMUL4S(2, 2, 30)  // −2u
	EXP4(2, 3, 4, 5, 6)
	FADD4S(4, 4, 28)
	FDIV4S(0, 0, 4)
	VST1.P [V0.S4], 16(R1)
	SUBS   $4, R0, R0
	BNE    gelut_loop
	RET

// func dequantizeNEON(n int, q *int8, scale float32, dst *float32)
TEXT ·dequantizeNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	MOVD  q+8(FP), R1
	FMOVS scale+16(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  dst+24(FP), R2
	CMP   $16, R0
	BLT   deq_one

deq_four:
	VLD1.P 16(R1), [V1.B16]
	SXTL8H(2, 1)
	SXTL28H(3, 1)
	SXTL4S(4, 2)
	SXTL24S(5, 2)
	SXTL4S(6, 3)
	SXTL24S(7, 3)
	SCVTF4S(4, 4)
	SCVTF4S(5, 5)
	SCVTF4S(6, 6)
	SCVTF4S(7, 7)
	FMUL4S(4, 4, 0)
	FMUL4S(5, 5, 0)
	FMUL4S(6, 6, 0)
	FMUL4S(7, 7, 0)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R2)
	SUB    $16, R0
	CMP    $16, R0
	BGE    deq_four

deq_one:
	CBZ     R0, deq_done
	FMOVS.P 4(R1), F1
	SXTL8H(1, 1)
	SXTL4S(1, 1)
	SCVTF4S(1, 1)
	FMUL4S(1, 1, 0)
	VST1.P  [V1.S4], 16(R2)
	SUB     $4, R0
	B       deq_one

deq_done:
	RET

// func dequantI32NEON(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)
// dst[j] (+)= (cs[j]·rs)·float32(acc[j]).
TEXT ·dequantI32NEON(SB), NOSPLIT, $0-41
	MOVD  n+0(FP), R0
	MOVD  acc+8(FP), R1
	FMOVS rs+16(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  cs+24(FP), R2
	MOVD  dst+32(FP), R3
	MOVBU add+40(FP), R4
	CBNZ  R4, dq_add

dq_set:
	VLD1.P 16(R1), [V1.S4]
	VLD1.P 16(R2), [V2.S4]
	SCVTF4S(1, 1)
	FMUL4S(2, 2, 0)
	FMUL4S(2, 2, 1)
	VST1.P [V2.S4], 16(R3)
	SUBS   $4, R0, R0
	BNE    dq_set
	RET

dq_add:
	VLD1.P 16(R1), [V1.S4]
	VLD1.P 16(R2), [V2.S4]
	VLD1   (R3), [V3.S4]
	SCVTF4S(1, 1)
	FMUL4S(2, 2, 0)
	FMUL4S(2, 2, 1)
	FADD4S(2, 2, 3)
	VST1.P [V2.S4], 16(R3)
	SUBS   $4, R0, R0
	BNE    dq_add
	RET

// func softmaxNEON(n int, x *float32, scale float32)
// x = softmax(scale·x) in place, any n ≥ 1, scale > 0. The last n%4 elements go
// one at a time through the same vector code in lane 0 (FMOVS loads lane 0 and
// zeroes the others; the scalar FMAXNMS, FADDS and FMULS use lane 0 only).
TEXT ·softmaxNEON(SB), NOSPLIT, $0-20
	MOVD  n+0(FP), R0
	MOVD  x+8(FP), R1
	FMOVS scale+16(FP), F29
	VDUP  V29.S[0], V29.S4
	EXPCONST
	AND   $3, R0, R3  // tail length
	AND   $-4, R0, R2 // elements in full vectors

	// Pass 1: the maximum; NaN elements are skipped (FMAXNM).
	DUPC(0xff800000, V0.S4)
	MOVD R1, R5
	MOVD R2, R6
	CBZ  R6, sm_max_vec

sm_max:
	VLD1.P 16(R5), [V1.S4]
	FMAXNM4S(0, 0, 1)
	SUBS   $4, R6, R6
	BNE    sm_max

sm_max_vec:
	FMAXNMV4S(0, 0)
	CBZ R3, sm_max_done
	MOVD R3, R6

sm_max_tail:
	FMOVS.P 4(R5), F1
	FMAXNMS F1, F0, F0
	SUBS    $1, R6, R6
	BNE     sm_max_tail

sm_max_done:
	FMULS F29, F0, F0
	FNEGS F0, F0
	VDUP  V0.S[0], V14.S4 // −scale·max

	// Pass 2: e = exp(scale·x − scale·max), stored, summed.
	VEOR V13.B16, V13.B16, V13.B16
	MOVD R1, R5
	MOVD R2, R6
	CBZ  R6, sm_exp_vec

sm_exp:
	VLD1   (R5), [V1.S4]
	MOV16B(2, 14)
	FMLA4S(2, 1, 29)
	EXP4(2, 3, 4, 5, 6)
	VST1.P [V4.S4], 16(R5)
	FADD4S(13, 13, 4)
	SUBS   $4, R6, R6
	BNE    sm_exp

sm_exp_vec:
	FADDP4S(13, 13, 13)
	FADDP4S(13, 13, 13)
	CBZ  R3, sm_sum
	MOVD R3, R6

sm_exp_tail:
	FMOVS   (R5), F1
	MOV16B(2, 14)
	FMLA4S(2, 1, 29)
	EXP4(2, 3, 4, 5, 6)
	FMOVS.P F4, 4(R5)
	FADDS   F4, F13, F13
	SUBS    $1, R6, R6
	BNE     sm_exp_tail

sm_sum:
	FDIVS F13, F28, F3
	VDUP  V3.S[0], V3.S4 // 1/sum

	// Pass 3: divide by the sum.
	MOVD R1, R5
	MOVD R2, R6
	CBZ  R6, sm_div_vec

sm_div:
	VLD1   (R5), [V1.S4]
	FMUL4S(1, 1, 3)
	VST1.P [V1.S4], 16(R5)
	SUBS   $4, R6, R6
	BNE    sm_div

sm_div_vec:
	CBZ R3, sm_done

sm_div_tail:
	FMOVS   (R5), F1
	FMULS   F3, F1, F1
	FMOVS.P F1, 4(R5)
	SUBS    $1, R3, R3
	BNE     sm_div_tail

sm_done:
	RET

// func layerNormNEON(n int, x, out, w, b *float32, eps float32)
// out = (x − mean)/sqrt(var + eps)·w + b over one row; n a multiple of 4.
TEXT ·layerNormNEON(SB), NOSPLIT, $0-44
	MOVD   n+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   out+16(FP), R2
	MOVD   w+24(FP), R3
	MOVD   b+32(FP), R4
	FMOVS  eps+40(FP), F20
	SCVTFS R0, F6 // n

	VEOR V0.B16, V0.B16, V0.B16
	MOVD R1, R5
	MOVD R0, R6

ln_sum:
	VLD1.P 16(R5), [V2.S4]
	FADD4S(0, 0, 2)
	SUBS   $4, R6, R6
	BNE    ln_sum
	FADDP4S(0, 0, 0)
	FADDP4S(0, 0, 0)
	FDIVS F6, F0, F0
	VDUP  V0.S[0], V3.S4 // mean

	VEOR V0.B16, V0.B16, V0.B16
	MOVD R1, R5
	MOVD R2, R7
	MOVD R0, R6

ln_center:
	VLD1.P 16(R5), [V4.S4]
	FSUB4S(4, 4, 3)
	VST1.P [V4.S4], 16(R7)
	FMLA4S(0, 4, 4)
	SUBS   $4, R6, R6
	BNE    ln_center
	FADDP4S(0, 0, 0)
	FADDP4S(0, 0, 0)
	FDIVS  F6, F0, F0 // variance
	FADDS  F20, F0, F0
	FCVTSD F0, F0
	FSQRTD F0, F0
	MOVD   $0x3ff0000000000000, R9
	FMOVD  R9, F1
	FDIVD  F0, F1, F1
	FCVTDS F1, F1
	VDUP   V1.S[0], V5.S4 // 1/sqrt(var + eps)

	MOVD R2, R7
	MOVD R0, R6

ln_scale:
	VLD1   (R7), [V4.S4]
	VLD1.P 16(R3), [V6.S4]
	VLD1.P 16(R4), [V7.S4]
	FMUL4S(4, 4, 5)
	FMUL4S(4, 4, 6)
	FADD4S(4, 4, 7)
	VST1.P [V4.S4], 16(R7)
	SUBS   $4, R6, R6
	BNE    ln_scale
	RET
