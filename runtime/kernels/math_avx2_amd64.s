//go:build !purego

#include "textflag.h"

// Element-wise math on AVX2+FMA: the formulas of math.go on 8-lane vectors, as
// math_amd64.s computes them on 16 (lengths are multiples of 8 unless said).

// Constants, each in 8 lanes (32 bytes) so that an instruction can take it from
// memory; the hottest are also held in Y8..Y13 (AVX2CONST).
#define VEC8(off, v) \
	DATA mathc8<>+(off)(SB)/8, $v; \
	DATA mathc8<>+(off+8)(SB)/8, $v; \
	DATA mathc8<>+(off+16)(SB)/8, $v; \
	DATA mathc8<>+(off+24)(SB)/8, $v

VEC8(0, 0x3fb8aa3b3fb8aa3b)   // log₂e
VEC8(32, 0x4b4000004b400000)  // 1.5·2²³ (round to integer)
VEC8(64, 0xc2a00000c2a00000)  // −80 (exp: 0 below)
VEC8(96, 0x42b0000042b00000)  // 88 (exp: clamp)
VEC8(128, 0x3f3180003f318000) // ln2 high part
VEC8(160, 0xb95e8083b95e8083) // ln2 low part
VEC8(192, 0x39500d0139500d01) // 1/7!
VEC8(224, 0x3ab60b613ab60b61) // 1/6!
VEC8(256, 0x3c0888893c088889) // 1/5!
VEC8(288, 0x3d2aaaab3d2aaaab) // 1/4!
VEC8(320, 0x3e2aaaab3e2aaaab) // 1/3!
VEC8(352, 0x3f0000003f000000) // 0.5
VEC8(384, 0x3f8000003f800000) // 1
VEC8(416, 0xc0800000c0800000) // −4: erf's argument clamp below
VEC8(448, 0x3f3504f33f3504f3) // 1/√2
VEC8(480, 0x3f906ebb3f906ebb) // erf fit P: p0..p6
VEC8(512, 0x3e3d27163e3d2716)
VEC8(544, 0x3d5eafa53d5eafa5)
VEC8(576, 0x3b7bf24b3b7bf24b)
VEC8(608, 0x39c9686839c96868)
VEC8(640, 0x36a1ac2636a1ac26)
VEC8(672, 0xb26e14b1b26e14b1)
VEC8(704, 0x3efe7b9d3efe7b9d) // erf fit Q: q1..q5 (q0 = 1)
VEC8(736, 0x3de92f0b3de92f0b)
VEC8(768, 0x3c7d6d813c7d6d81)
VEC8(800, 0x3d3727133d372713) // 0.044715
VEC8(832, 0xbfcc422abfcc422a) // −2·√(2/π)
VEC8(864, 0xff800000ff800000) // −Inf
VEC8(896, 0x4080000040800000) // 4: erf's argument clamp
VEC8(928, 0x3aac0ace3aac0ace) // erf fit Q: q4
VEC8(960, 0x3886ff043886ff04) // q5
VEC8(992, 0xbf800000bf800000) // −1
GLOBL mathc8<>(SB), RODATA|NOPTR, $1024

#define C_LOG2E mathc8<>+0(SB)
#define C_ROUND mathc8<>+32(SB)
#define C_EXPLO mathc8<>+64(SB)
#define C_EXPHI mathc8<>+96(SB)
#define C_LN2HI mathc8<>+128(SB)
#define C_LN2LO mathc8<>+160(SB)
#define C_P7 mathc8<>+192(SB)
#define C_P6 mathc8<>+224(SB)
#define C_P5 mathc8<>+256(SB)
#define C_P4 mathc8<>+288(SB)
#define C_P3 mathc8<>+320(SB)
#define C_HALF mathc8<>+352(SB)
#define C_ONE mathc8<>+384(SB)
#define C_RSQRT2 mathc8<>+448(SB)
#define C_ERFP0 mathc8<>+480(SB)
#define C_ERFP1 mathc8<>+512(SB)
#define C_ERFP2 mathc8<>+544(SB)
#define C_ERFP3 mathc8<>+576(SB)
#define C_ERFP4 mathc8<>+608(SB)
#define C_ERFP5 mathc8<>+640(SB)
#define C_ERFP6 mathc8<>+672(SB)
#define C_ERFQ1 mathc8<>+704(SB)
#define C_ERFQ2 mathc8<>+736(SB)
#define C_ERFQ3 mathc8<>+768(SB)
#define C_ERFQ4 mathc8<>+928(SB)
#define C_ERFQ5 mathc8<>+960(SB)
#define C_MONE mathc8<>+992(SB)
#define C_ZMIN mathc8<>+416(SB)
#define C_GELUK mathc8<>+800(SB)
#define C_M2S mathc8<>+832(SB)
#define C_NINF mathc8<>+864(SB)
#define C_ZMAX mathc8<>+896(SB)

// Masks for the last n%8 elements of a row: 8 lanes loaded from tailmask8<>+4·(8−r)
// have the first r set.
DATA tailmask8<>+0(SB)/8, $-1
DATA tailmask8<>+8(SB)/8, $-1
DATA tailmask8<>+16(SB)/8, $-1
DATA tailmask8<>+24(SB)/8, $-1
DATA tailmask8<>+32(SB)/8, $0
DATA tailmask8<>+40(SB)/8, $0
DATA tailmask8<>+48(SB)/8, $0
DATA tailmask8<>+56(SB)/8, $0
GLOBL tailmask8<>(SB), RODATA|NOPTR, $64

// AVX2CONST loads the constants EXP8 keeps in registers: Y8 1.5·2²³, Y9 log₂e,
// Y10 −80, Y11 88, Y12 1, Y13 0.5.
#define AVX2CONST \
	VMOVUPS C_ROUND, Y8; \
	VMOVUPS C_LOG2E, Y9; \
	VMOVUPS C_EXPLO, Y10; \
	VMOVUPS C_EXPHI, Y11; \
	VMOVUPS C_ONE, Y12; \
	VMOVUPS C_HALF, Y13

// EXP8 sets p = exp(x), and 0 where x < −80 or x is NaN; x, n and m are clobbered.
// The steps of EXP512 (math_amd64.s), with the compare result in m as a lane mask.
#define EXP8(x, n, p, m) \
	VCMPPS       $0x1d, Y10, x, m; \
	VMINPS       Y11, x, x; \
	VMOVAPS      Y8, n; \
	VFMADD231PS  Y9, x, n; \
	VSUBPS       Y8, n, p; \
	VFNMADD231PS C_LN2HI, p, x; \
	VFNMADD231PS C_LN2LO, p, x; \
	VMOVUPS      C_P7, p; \
	VFMADD213PS  C_P6, x, p; \
	VFMADD213PS  C_P5, x, p; \
	VFMADD213PS  C_P4, x, p; \
	VFMADD213PS  C_P3, x, p; \
	VFMADD213PS  Y13, x, p; \
	VFMADD213PS  Y12, x, p; \
	VFMADD213PS  Y12, x, p; \
	VPSLLD       $23, n, n; \
	VPADDD       n, p, p; \
	VANDPS       m, p, p

// HSUM8 reduces the 8 lanes of Y0 into X0 (lane 0); X1 is clobbered.
#define HSUM8 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VADDPS       X1, X0, X0; \
	VPSHUFD      $1, X0, X1; \
	VADDSS       X1, X0, X0

// HMAX8 reduces the 8 lanes of Y0 (no NaN among them) to their maximum in X0.
#define HMAX8 \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VMAXPS       X1, X0, X0; \
	VPSHUFD      $1, X0, X1; \
	VMAXSS       X1, X0, X0

// func maxAVX2(n int, x *float32) float32
// NaN elements are skipped, as maxGo skips them: VMAXPS returns its second source
// (the running maximum) when the first (x) is NaN.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    n+0(FP), CX
	MOVQ    x+8(FP), SI
	VMOVUPS C_NINF, Y0
	VMOVAPS Y0, Y1
	CMPQ    CX, $16
	JL      max2_one

max2_two:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMAXPS  Y0, Y2, Y0
	VMAXPS  Y1, Y3, Y1
	ADDQ    $64, SI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     max2_two

max2_one:
	TESTQ   CX, CX
	JZ      max2_reduce
	VMOVUPS (SI), Y2
	VMAXPS  Y0, Y2, Y0

max2_reduce:
	VMAXPS Y1, Y0, Y0
	HMAX8
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftAVX2(n int, x *float32, shift float32) float32
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-28
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), SI
	VBROADCASTSS shift+16(FP), Y7
	AVX2CONST
	VXORPS       Y4, Y4, Y4

exp2_loop:
	VMOVUPS (SI), Y1
	VSUBPS  Y7, Y1, Y1
	EXP8(Y1, Y2, Y3, Y0)
	VMOVUPS Y3, (SI)
	VADDPS  Y3, Y4, Y4
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     exp2_loop

	VMOVAPS Y4, Y0
	HSUM8
	VMOVSS  X0, ret+24(FP)
	VZEROUPPER
	RET

// func geluAVX2(n int, x *float32)
// As geluAVX512: GELU = x·(1 + erf(z))/2, z = x/√2 clamped to [−4, 4], erf =
// z·P(z²)/Q(z²) at least −1.
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	AVX2CONST

gelu2_loop:
	VMOVUPS     (SI), Y0
	VMULPS      C_RSQRT2, Y0, Y1
	VMINPS      C_ZMAX, Y1, Y1
	VMAXPS      C_ZMIN, Y1, Y1   // z
	VMULPS      Y1, Y1, Y2       // z²
	VMOVUPS     C_ERFP6, Y3
	VFMADD213PS C_ERFP5, Y2, Y3
	VFMADD213PS C_ERFP4, Y2, Y3
	VFMADD213PS C_ERFP3, Y2, Y3
	VFMADD213PS C_ERFP2, Y2, Y3
	VFMADD213PS C_ERFP1, Y2, Y3
	VFMADD213PS C_ERFP0, Y2, Y3  // P
	VMOVUPS     C_ERFQ5, Y4
	VFMADD213PS C_ERFQ4, Y2, Y4
	VFMADD213PS C_ERFQ3, Y2, Y4
	VFMADD213PS C_ERFQ2, Y2, Y4
	VFMADD213PS C_ERFQ1, Y2, Y4
	VFMADD213PS Y12, Y2, Y4      // Q (q0 = 1)
	VMULPS      Y1, Y3, Y3
	VDIVPS      Y4, Y3, Y3       // erf
	VMAXPS      C_MONE, Y3, Y3
	VFMADD213PS Y13, Y13, Y3     // (1 + erf)/2
	VMULPS      Y3, Y0, Y0
	VMOVUPS     Y0, (SI)
	ADDQ        $32, SI
	SUBQ        $8, CX
	JNZ         gelu2_loop
	VZEROUPPER
	RET

// func geluTanhAVX2(n int, x *float32)
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	AVX2CONST

gelut2_loop:
	VMOVUPS     (SI), Y0
	VMULPS      Y0, Y0, Y1
	VMOVAPS     Y12, Y2
	VFMADD231PS C_GELUK, Y1, Y2 // 1 + 0.044715·x²
	VMULPS      Y0, Y2, Y2
	VMULPS      C_M2S, Y2, Y2   // −2u
	EXP8(Y2, Y3, Y4, Y5)
	VADDPS      Y12, Y4, Y4
	VDIVPS      Y4, Y0, Y0
	VMOVUPS     Y0, (SI)
	ADDQ        $32, SI
	SUBQ        $8, CX
	JNZ         gelut2_loop
	VZEROUPPER
	RET

// func dequantizeAVX2(n int, q *int8, scale float32, dst *float32)
TEXT ·dequantizeAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         q+8(FP), SI
	VBROADCASTSS scale+16(FP), Y0
	MOVQ         dst+24(FP), DI
	CMPQ         CX, $16
	JL           deq2_one

deq2_two:
	VPMOVSXBD (SI), Y1
	VPMOVSXBD 8(SI), Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y0, Y1, Y1
	VMULPS    Y0, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	CMPQ      CX, $16
	JGE       deq2_two

deq2_one:
	TESTQ     CX, CX
	JZ        deq2_done
	VPMOVSXBD (SI), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    Y0, Y1, Y1
	VMOVUPS   Y1, (DI)

deq2_done:
	VZEROUPPER
	RET

// func dequantI32AVX2(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)
// dst[j] (+)= (cs[j]·rs)·float32(acc[j]).
TEXT ·dequantI32AVX2(SB), NOSPLIT, $0-41
	MOVQ         n+0(FP), CX
	MOVQ         acc+8(FP), SI
	VBROADCASTSS rs+16(FP), Y0
	MOVQ         cs+24(FP), DX
	MOVQ         dst+32(FP), DI
	MOVBLZX      add+40(FP), AX
	TESTQ        AX, AX
	JNZ          dq2_add

dq2_set:
	VCVTDQ2PS (SI), Y1
	VMULPS    (DX), Y0, Y2
	VMULPS    Y1, Y2, Y2
	VMOVUPS   Y2, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       dq2_set
	VZEROUPPER
	RET

dq2_add:
	VCVTDQ2PS (SI), Y1
	VMULPS    (DX), Y0, Y2
	VMULPS    Y1, Y2, Y2
	VADDPS    (DI), Y2, Y2
	VMOVUPS   Y2, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       dq2_add
	VZEROUPPER
	RET

// func softmaxAVX2(n int, x *float32, scale float32)
// x = softmax(scale·x) in place, any n ≥ 1, scale > 0: the last n%8 elements go
// through the lane mask Y6 (VMASKMOVPS neither reads nor writes the lanes it masks).
// NaN elements are skipped for the maximum and give 0, as the portable path does.
TEXT ·softmaxAVX2(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), DX
	MOVQ         x+8(FP), SI
	VBROADCASTSS scale+16(FP), Y7
	AVX2CONST
	MOVQ         DX, CX
	ANDQ         $7, CX     // tail length r
	MOVQ         $8, AX
	SUBQ         CX, AX
	LEAQ         tailmask8<>(SB), BX
	VMOVUPS      (BX)(AX*4), Y6
	MOVQ         DX, R8
	ANDQ         $-8, R8    // elements in full vectors
	VMOVUPS      C_NINF, Y0

	// Pass 1: the maximum.
	MOVQ  SI, DI
	MOVQ  R8, AX
	TESTQ AX, AX
	JZ    sm2_max_tail

sm2_max:
	VMOVUPS (DI), Y1
	VMAXPS  Y0, Y1, Y0
	ADDQ    $32, DI
	SUBQ    $8, AX
	JNZ     sm2_max

sm2_max_tail:
	TESTQ      CX, CX
	JZ         sm2_max_reduce
	VMASKMOVPS (DI), Y6, Y1
	VMOVUPS    C_NINF, Y2
	VBLENDVPS  Y6, Y1, Y2, Y1 // −Inf in the lanes past n
	VMAXPS     Y0, Y1, Y0

sm2_max_reduce:
	HMAX8
	VMULSS       X7, X0, X0
	VBROADCASTSS X0, Y5 // scale·max

	// Pass 2: e = exp(scale·x − scale·max), stored, summed.
	VXORPS Y4, Y4, Y4
	MOVQ   SI, DI
	MOVQ   R8, AX
	TESTQ  AX, AX
	JZ     sm2_exp_tail

sm2_exp:
	VMOVUPS     (DI), Y1
	VFMSUB213PS Y5, Y7, Y1
	EXP8(Y1, Y2, Y3, Y0)
	VMOVUPS     Y3, (DI)
	VADDPS      Y3, Y4, Y4
	ADDQ        $32, DI
	SUBQ        $8, AX
	JNZ         sm2_exp

sm2_exp_tail:
	TESTQ       CX, CX
	JZ          sm2_sum
	VMASKMOVPS  (DI), Y6, Y1
	VFMSUB213PS Y5, Y7, Y1
	EXP8(Y1, Y2, Y3, Y0)
	VANDPS      Y6, Y3, Y3
	VMASKMOVPS  Y3, Y6, (DI)
	VADDPS      Y3, Y4, Y4

sm2_sum:
	VMOVAPS      Y4, Y0
	HSUM8
	VDIVSS       X0, X12, X0
	VBROADCASTSS X0, Y4

	// Pass 3: divide by the sum.
	MOVQ  SI, DI
	MOVQ  R8, AX
	TESTQ AX, AX
	JZ    sm2_div_tail

sm2_div:
	VMULPS  (DI), Y4, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	SUBQ    $8, AX
	JNZ     sm2_div

sm2_div_tail:
	TESTQ      CX, CX
	JZ         sm2_done
	VMASKMOVPS (DI), Y6, Y1
	VMULPS     Y4, Y1, Y1
	VMASKMOVPS Y1, Y6, (DI)

sm2_done:
	VZEROUPPER
	RET

// func layerNormAVX2(n int, x, out, w, b *float32, eps float32)
// out = (x − mean)/sqrt(var + eps)·w + b over one row; n a multiple of 8.
TEXT ·layerNormAVX2(SB), NOSPLIT, $0-44
	MOVQ       n+0(FP), DX
	MOVQ       x+8(FP), SI
	MOVQ       out+16(FP), DI
	MOVQ       w+24(FP), R8
	MOVQ       b+32(FP), R9
	VCVTSI2SSQ DX, X6, X6 // n

	VXORPS Y0, Y0, Y0
	MOVQ   SI, AX
	MOVQ   DX, CX

ln2_sum:
	VADDPS (AX), Y0, Y0
	ADDQ   $32, AX
	SUBQ   $8, CX
	JNZ    ln2_sum
	HSUM8
	VDIVSS       X6, X0, X0
	VBROADCASTSS X0, Y3 // mean

	VXORPS Y0, Y0, Y0
	MOVQ   SI, AX
	MOVQ   DI, BX
	MOVQ   DX, CX

ln2_center:
	VMOVUPS     (AX), Y4
	VSUBPS      Y3, Y4, Y4
	VMOVUPS     Y4, (BX)
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $32, AX
	ADDQ        $32, BX
	SUBQ        $8, CX
	JNZ         ln2_center
	HSUM8
	VDIVSS       X6, X0, X0 // variance
	VADDSS       eps+40(FP), X0, X0
	VCVTSS2SD    X0, X0, X0
	VSQRTSD      X0, X0, X0
	MOVQ         $0x3ff0000000000000, AX
	VMOVQ        AX, X1
	VDIVSD       X0, X1, X0
	VCVTSD2SS    X0, X0, X0
	VBROADCASTSS X0, Y5 // 1/sqrt(var + eps)

	MOVQ DI, BX
	MOVQ DX, CX

ln2_scale:
	VMULPS  (BX), Y5, Y4
	VMULPS  (R8), Y4, Y4
	VADDPS  (R9), Y4, Y4
	VMOVUPS Y4, (BX)
	ADDQ    $32, BX
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JNZ     ln2_scale
	VZEROUPPER
	RET
