//go:build !purego

#include "textflag.h"
#include "rowsum_amd64.h" // HSUM512

// Element-wise math (AVX-512F/DQ) and the peak-throughput loops. The formulas are
// those of math.go; lengths are multiples of 16.

#define BCAST(bits, z) \
	MOVL $bits, AX; \
	VPBROADCASTD AX, z

// The exp constants live in Z17..Z29 for every kernel that uses EXP512.
#define EXPCONST \
	BCAST(0x3fb8aa3b, Z17); \
	BCAST(0x4b400000, Z18); \
	BCAST(0xc2a00000, Z29); \
	BCAST(0x42b00000, Z19); \
	BCAST(0x3f318000, Z20); \
	BCAST(0xb95e8083, Z21); \
	BCAST(0x39500d01, Z22); \
	BCAST(0x3ab60b61, Z23); \
	BCAST(0x3c088889, Z24); \
	BCAST(0x3d2aaaab, Z25); \
	BCAST(0x3e2aaaab, Z26); \
	BCAST(0x3f000000, Z27); \
	BCAST(0x3f800000, Z28)

// EXP512 sets p = exp(x), and 0 where x < −80 (no denormals downstream); x and n
// are clobbered, K2 too. n = round(x·log₂e) comes from adding 1.5·2²³ (Z18): the
// sum's low bits are n itself, shifted into the exponent at the end.
#define EXP512(x, n, p) \
	VCMPPS       $0x1d, Z29, x, K2; \
	VMINPS       Z19, x, x; \
	VMOVAPS      Z18, n; \
	VFMADD231PS  Z17, x, n; \
	VSUBPS       Z18, n, p; \
	VFNMADD231PS Z20, p, x; \
	VFNMADD231PS Z21, p, x; \
	VMOVAPS      Z22, p; \
	VFMADD213PS  Z23, x, p; \
	VFMADD213PS  Z24, x, p; \
	VFMADD213PS  Z25, x, p; \
	VFMADD213PS  Z26, x, p; \
	VFMADD213PS  Z27, x, p; \
	VFMADD213PS  Z28, x, p; \
	VFMADD213PS  Z28, x, p; \
	VPSLLD       $23, n, n; \
	VPADDD       n, p, p; \
	VMOVAPS.Z    p, K2, p


// func maxAVX512(n int, x *float32) float32
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	BCAST(0xff800000, Z0) // -Inf
	VMOVAPS Z0, Z1
	CMPQ    CX, $32
	JL      max_one

max_two:
	// VMAXPS returns its second source when either is NaN: x goes first, so that a
	// NaN element leaves the running maximum as it is (maxGo skips NaN).
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VMAXPS  Z0, Z2, Z0
	VMAXPS  Z1, Z3, Z1
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     max_two

max_one:
	TESTQ   CX, CX
	JZ      max_reduce
	VMOVUPS (SI), Z2
	VMAXPS  Z0, Z2, Z0

max_reduce:
	VMAXPS        Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VMAXPS        X1, X0, X0
	VPSHUFD       $1, X0, X1
	VMAXSS        X1, X0, X0
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// func expShiftAVX512(n int, x *float32, shift float32) float32
TEXT ·expShiftAVX512(SB), NOSPLIT, $0-28
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), SI
	VBROADCASTSS shift+16(FP), Z16
	EXPCONST
	VPXORD       Z0, Z0, Z0

exp_loop:
	VMOVUPS (SI), Z1
	VSUBPS  Z16, Z1, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS Z3, (SI)
	VADDPS  Z3, Z0, Z0
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     exp_loop

	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func geluAVX512(n int, x *float32)
// GELU = x·(1 + erf(z))/2 with erf's rational fit (math.go): z = x/√2 clamped to
// [−4, 4], erf = z·P(z²)/Q(z²), at least −1.
TEXT ·geluAVX512(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	BCAST(0x3f3504f3, Z30) // 1/√2
	BCAST(0x40800000, Z29) // 4
	BCAST(0xc0800000, Z28) // −4
	BCAST(0xbf800000, Z27) // −1
	BCAST(0x3f000000, Z26) // 0.5
	BCAST(0x3f906ebb, Z6)  // P: p0..p6
	BCAST(0x3e3d2716, Z7)
	BCAST(0x3d5eafa5, Z8)
	BCAST(0x3b7bf24b, Z9)
	BCAST(0x39c96868, Z10)
	BCAST(0x36a1ac26, Z11)
	BCAST(0xb26e14b1, Z12)
	BCAST(0x3f800000, Z13) // Q: q0..q5
	BCAST(0x3efe7b9d, Z14)
	BCAST(0x3de92f0b, Z15)
	BCAST(0x3c7d6d81, Z16)
	BCAST(0x3aac0ace, Z17)
	BCAST(0x3886ff04, Z18)

gelue_loop:
	VMOVUPS     (SI), Z1
	VMULPS      Z30, Z1, Z2
	VMINPS      Z29, Z2, Z2
	VMAXPS      Z28, Z2, Z2 // z
	VMULPS      Z2, Z2, Z3  // z²
	VMOVAPS     Z12, Z4
	VFMADD213PS Z11, Z3, Z4
	VFMADD213PS Z10, Z3, Z4
	VFMADD213PS Z9, Z3, Z4
	VFMADD213PS Z8, Z3, Z4
	VFMADD213PS Z7, Z3, Z4
	VFMADD213PS Z6, Z3, Z4 // P
	VMOVAPS     Z18, Z5
	VFMADD213PS Z17, Z3, Z5
	VFMADD213PS Z16, Z3, Z5
	VFMADD213PS Z15, Z3, Z5
	VFMADD213PS Z14, Z3, Z5
	VFMADD213PS Z13, Z3, Z5 // Q
	VMULPS      Z2, Z4, Z4
	VDIVPS      Z5, Z4, Z4 // erf
	VMAXPS      Z27, Z4, Z4
	VFMADD213PS Z26, Z26, Z4 // (1 + erf)/2
	VMULPS      Z4, Z1, Z1
	VMOVUPS     Z1, (SI)
	ADDQ        $64, SI
	SUBQ        $16, CX
	JNZ         gelue_loop
	VZEROUPPER
	RET

// func geluTanhAVX512(n int, x *float32)
TEXT ·geluTanhAVX512(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	EXPCONST
	BCAST(0x3d372713, Z6) // 0.044715
	BCAST(0xbfcc422a, Z7) // −2·√(2/π)

gelut_loop:
	VMOVUPS     (SI), Z1
	VMULPS      Z1, Z1, Z2
	VFMADD213PS Z28, Z6, Z2 // 1 + 0.044715·x²
	VMULPS      Z1, Z2, Z2
	VMULPS      Z7, Z2, Z2 // −2u
	EXP512(Z2, Z3, Z0)
	VADDPS      Z28, Z0, Z0
	VDIVPS      Z0, Z1, Z1
	VMOVUPS     Z1, (SI)
	ADDQ        $64, SI
	SUBQ        $16, CX
	JNZ         gelut_loop
	VZEROUPPER
	RET

// func dequantizeAVX512(n int, q *int8, scale float32, dst *float32)
TEXT ·dequantizeAVX512(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         q+8(FP), SI
	VBROADCASTSS scale+16(FP), Z0
	MOVQ         dst+24(FP), DI
	CMPQ         CX, $32
	JL           deq_one

deq_two:
	VPMOVSXBD (SI), Z1
	VPMOVSXBD 16(SI), Z2
	VCVTDQ2PS Z1, Z1
	VCVTDQ2PS Z2, Z2
	VMULPS    Z0, Z1, Z1
	VMULPS    Z0, Z2, Z2
	VMOVUPS   Z1, (DI)
	VMOVUPS   Z2, 64(DI)
	ADDQ      $32, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       deq_two

deq_one:
	TESTQ     CX, CX
	JZ        deq_done
	VPMOVSXBD (SI), Z1
	VCVTDQ2PS Z1, Z1
	VMULPS    Z0, Z1, Z1
	VMOVUPS   Z1, (DI)

deq_done:
	VZEROUPPER
	RET

// func fmaPeakAVX512(iters int, out *[16]float32)
// 24 independent chains of acc += 1·1: out gets 24·iters in every lane.
TEXT ·fmaPeakAVX512(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	BCAST(0x3f800000, Z31)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

fma_loop:
	VFMADD231PS Z31, Z31, Z0
	VFMADD231PS Z31, Z31, Z1
	VFMADD231PS Z31, Z31, Z2
	VFMADD231PS Z31, Z31, Z3
	VFMADD231PS Z31, Z31, Z4
	VFMADD231PS Z31, Z31, Z5
	VFMADD231PS Z31, Z31, Z6
	VFMADD231PS Z31, Z31, Z7
	VFMADD231PS Z31, Z31, Z8
	VFMADD231PS Z31, Z31, Z9
	VFMADD231PS Z31, Z31, Z10
	VFMADD231PS Z31, Z31, Z11
	VFMADD231PS Z31, Z31, Z12
	VFMADD231PS Z31, Z31, Z13
	VFMADD231PS Z31, Z31, Z14
	VFMADD231PS Z31, Z31, Z15
	VFMADD231PS Z31, Z31, Z16
	VFMADD231PS Z31, Z31, Z17
	VFMADD231PS Z31, Z31, Z18
	VFMADD231PS Z31, Z31, Z19
	VFMADD231PS Z31, Z31, Z20
	VFMADD231PS Z31, Z31, Z21
	VFMADD231PS Z31, Z31, Z22
	VFMADD231PS Z31, Z31, Z23
	DECQ        CX
	JNZ         fma_loop

	VADDPS  Z1, Z0, Z0
	VADDPS  Z3, Z2, Z2
	VADDPS  Z5, Z4, Z4
	VADDPS  Z7, Z6, Z6
	VADDPS  Z9, Z8, Z8
	VADDPS  Z11, Z10, Z10
	VADDPS  Z13, Z12, Z12
	VADDPS  Z15, Z14, Z14
	VADDPS  Z17, Z16, Z16
	VADDPS  Z19, Z18, Z18
	VADDPS  Z21, Z20, Z20
	VADDPS  Z23, Z22, Z22
	VADDPS  Z2, Z0, Z0
	VADDPS  Z6, Z4, Z4
	VADDPS  Z10, Z8, Z8
	VADDPS  Z14, Z12, Z12
	VADDPS  Z18, Z16, Z16
	VADDPS  Z22, Z20, Z20
	VADDPS  Z4, Z0, Z0
	VADDPS  Z12, Z8, Z8
	VADDPS  Z20, Z16, Z16
	VADDPS  Z8, Z0, Z0
	VADDPS  Z16, Z0, Z0
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func vnniPeakAVX512(iters int, out *[16]int32)
// 24 independent chains of VPDPBUSD with all bytes 1: out gets 96·iters per lane.
TEXT ·vnniPeakAVX512(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	BCAST(0x01010101, Z31)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

vnni_loop:
	VPDPBUSD Z31, Z31, Z0
	VPDPBUSD Z31, Z31, Z1
	VPDPBUSD Z31, Z31, Z2
	VPDPBUSD Z31, Z31, Z3
	VPDPBUSD Z31, Z31, Z4
	VPDPBUSD Z31, Z31, Z5
	VPDPBUSD Z31, Z31, Z6
	VPDPBUSD Z31, Z31, Z7
	VPDPBUSD Z31, Z31, Z8
	VPDPBUSD Z31, Z31, Z9
	VPDPBUSD Z31, Z31, Z10
	VPDPBUSD Z31, Z31, Z11
	VPDPBUSD Z31, Z31, Z12
	VPDPBUSD Z31, Z31, Z13
	VPDPBUSD Z31, Z31, Z14
	VPDPBUSD Z31, Z31, Z15
	VPDPBUSD Z31, Z31, Z16
	VPDPBUSD Z31, Z31, Z17
	VPDPBUSD Z31, Z31, Z18
	VPDPBUSD Z31, Z31, Z19
	VPDPBUSD Z31, Z31, Z20
	VPDPBUSD Z31, Z31, Z21
	VPDPBUSD Z31, Z31, Z22
	VPDPBUSD Z31, Z31, Z23
	DECQ     CX
	JNZ      vnni_loop

	VPADDD  Z1, Z0, Z0
	VPADDD  Z3, Z2, Z2
	VPADDD  Z5, Z4, Z4
	VPADDD  Z7, Z6, Z6
	VPADDD  Z9, Z8, Z8
	VPADDD  Z11, Z10, Z10
	VPADDD  Z13, Z12, Z12
	VPADDD  Z15, Z14, Z14
	VPADDD  Z17, Z16, Z16
	VPADDD  Z19, Z18, Z18
	VPADDD  Z21, Z20, Z20
	VPADDD  Z23, Z22, Z22
	VPADDD  Z2, Z0, Z0
	VPADDD  Z6, Z4, Z4
	VPADDD  Z10, Z8, Z8
	VPADDD  Z14, Z12, Z12
	VPADDD  Z18, Z16, Z16
	VPADDD  Z22, Z20, Z20
	VPADDD  Z4, Z0, Z0
	VPADDD  Z12, Z8, Z8
	VPADDD  Z20, Z16, Z16
	VPADDD  Z8, Z0, Z0
	VPADDD  Z16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	VZEROUPPER
	RET

// func fmaPeakAVX2(iters int, out *[8]float32)
// 12 independent chains of acc += 1·1: out gets 12·iters in every lane.
TEXT ·fmaPeakAVX2(SB), NOSPLIT, $0-16
	MOVQ         iters+0(FP), CX
	MOVQ         out+8(FP), DI
	MOVL         $0x3f800000, AX
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VXORPS       Y8, Y8, Y8
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10
	VXORPS       Y11, Y11, Y11

fma2_loop:
	VFMADD231PS Y15, Y15, Y0
	VFMADD231PS Y15, Y15, Y1
	VFMADD231PS Y15, Y15, Y2
	VFMADD231PS Y15, Y15, Y3
	VFMADD231PS Y15, Y15, Y4
	VFMADD231PS Y15, Y15, Y5
	VFMADD231PS Y15, Y15, Y6
	VFMADD231PS Y15, Y15, Y7
	VFMADD231PS Y15, Y15, Y8
	VFMADD231PS Y15, Y15, Y9
	VFMADD231PS Y15, Y15, Y10
	VFMADD231PS Y15, Y15, Y11
	DECQ        CX
	JNZ         fma2_loop

	VADDPS  Y1, Y0, Y0
	VADDPS  Y3, Y2, Y2
	VADDPS  Y5, Y4, Y4
	VADDPS  Y7, Y6, Y6
	VADDPS  Y9, Y8, Y8
	VADDPS  Y11, Y10, Y10
	VADDPS  Y2, Y0, Y0
	VADDPS  Y6, Y4, Y4
	VADDPS  Y10, Y8, Y8
	VADDPS  Y4, Y0, Y0
	VADDPS  Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET

// func softmaxAVX512(n int, x *float32, scale float32)
// x = softmax(scale·x) in place, any n ≥ 1: the last n%16 elements go through the
// lane mask K1.
TEXT ·softmaxAVX512(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), DX
	MOVQ         x+8(FP), SI
	VBROADCASTSS scale+16(FP), Z16
	EXPCONST
	MOVQ         DX, CX
	ANDQ         $15, CX
	MOVL         $1, AX
	SHLL         CX, AX
	DECL         AX
	KMOVW        AX, K1
	MOVQ         DX, R8
	ANDQ         $-16, R8 // elements in full vectors
	BCAST(0xff800000, Z0) // −Inf

	// Pass 1: the maximum.
	MOVQ SI, DI
	MOVQ R8, CX
	TESTQ CX, CX
	JZ   sm_max_tail

sm_max:
	VMOVUPS (DI), Z1
	VMAXPS  Z0, Z1, Z0 // NaN elements skipped, as in maxAVX512
	ADDQ    $64, DI
	SUBQ   $16, CX
	JNZ    sm_max

sm_max_tail:
	KORTESTW K1, K1
	JZ       sm_max_reduce
	BCAST(0xff800000, Z1)
	VMOVUPS  (DI), K1, Z1
	VMAXPS   Z0, Z1, Z0

sm_max_reduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VMAXPS        X1, X0, X0
	VPSHUFD       $1, X0, X1
	VMAXSS        X1, X0, X0
	VBROADCASTSS  X0, Z15
	VMULPS        Z16, Z15, Z15 // scale·max

	// Pass 2: e = exp(scale·x − scale·max), stored, summed.
	VPXORD Z0, Z0, Z0
	MOVQ   SI, DI
	MOVQ   R8, CX
	TESTQ  CX, CX
	JZ     sm_exp_tail

sm_exp:
	VMOVUPS     (DI), Z1
	VFMSUB213PS Z15, Z16, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS     Z3, (DI)
	VADDPS      Z3, Z0, Z0
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         sm_exp

sm_exp_tail:
	KORTESTW    K1, K1
	JZ          sm_sum
	VMOVUPS.Z   (DI), K1, Z1
	VFMSUB213PS Z15, Z16, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS     Z3, K1, (DI)
	VADDPS      Z3, Z0, K1, Z0

sm_sum:
	HSUM512
	MOVL         $0x3f800000, AX
	VMOVD        AX, X1
	VDIVSS       X0, X1, X0
	VBROADCASTSS X0, Z4

	// Pass 3: divide by the sum.
	MOVQ  SI, DI
	MOVQ  R8, CX
	TESTQ CX, CX
	JZ    sm_div_tail

sm_div:
	VMULPS  (DI), Z4, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     sm_div

sm_div_tail:
	KORTESTW  K1, K1
	JZ        sm_done
	VMOVUPS.Z (DI), K1, Z1
	VMULPS    Z4, Z1, Z1
	VMOVUPS   Z1, K1, (DI)

sm_done:
	VZEROUPPER
	RET

// func layerNormAVX512(n int, x, out, w, b *float32, eps float32)
// out = (x − mean)/sqrt(var + eps)·w + b over one row; n a multiple of 16.
TEXT ·layerNormAVX512(SB), NOSPLIT, $0-44
	MOVQ n+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ out+16(FP), DI
	MOVQ w+24(FP), R8
	MOVQ b+32(FP), R9
	VCVTSI2SSQ DX, X6, X6 // n

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ   SI, AX
	MOVQ   DX, CX

ln_sum:
	VADDPS (AX), Z0, Z0
	ADDQ   $64, AX
	SUBQ   $16, CX
	JNZ    ln_sum
	HSUM512
	VDIVSS       X6, X0, X0
	VBROADCASTSS X0, Z3 // mean

	VPXORD Z0, Z0, Z0
	MOVQ   SI, AX
	MOVQ   DI, BX
	MOVQ   DX, CX

ln_center:
	VMOVUPS     (AX), Z4
	VSUBPS      Z3, Z4, Z4
	VMOVUPS     Z4, (BX)
	VFMADD231PS Z4, Z4, Z0
	ADDQ        $64, AX
	ADDQ        $64, BX
	SUBQ        $16, CX
	JNZ         ln_center
	HSUM512
	VDIVSS    X6, X0, X0 // variance
	VADDSS    eps+40(FP), X0, X0
	VCVTSS2SD X0, X0, X0
	VSQRTSD   X0, X0, X0
	MOVQ      $0x3ff0000000000000, AX
	VMOVQ     AX, X1
	VDIVSD    X0, X1, X0
	VCVTSD2SS X0, X0, X0
	VBROADCASTSS X0, Z5 // 1/sqrt(var + eps)

	MOVQ DI, BX
	MOVQ DX, CX

ln_scale:
	VMULPS  (BX), Z5, Z4
	VMULPS  (R8), Z4, Z4
	VADDPS  (R9), Z4, Z4
	VMOVUPS Z4, (BX)
	ADDQ    $64, BX
	ADDQ    $64, R8
	ADDQ    $64, R9
	SUBQ    $16, CX
	JNZ     ln_scale
	VZEROUPPER
	RET

// func dequantI32AVX512(n int, acc *int32, rs float32, cs *float32, dst *float32, add bool)
// dst[j] (+)= (cs[j]·rs)·float32(acc[j]); n a multiple of 16.
TEXT ·dequantI32AVX512(SB), NOSPLIT, $0-41
	MOVQ         n+0(FP), CX
	MOVQ         acc+8(FP), SI
	VBROADCASTSS rs+16(FP), Z0
	MOVQ         cs+24(FP), DX
	MOVQ         dst+32(FP), DI
	MOVBLZX      add+40(FP), AX
	TESTQ        AX, AX
	JNZ          dq_add

dq_set:
	VCVTDQ2PS (SI), Z1
	VMULPS    (DX), Z0, Z2
	VMULPS    Z1, Z2, Z2
	VMOVUPS   Z2, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       dq_set
	VZEROUPPER
	RET

dq_add:
	VCVTDQ2PS (SI), Z1
	VMULPS    (DX), Z0, Z2
	VMULPS    Z1, Z2, Z2
	VADDPS    (DI), Z2, Z2
	VMOVUPS   Z2, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       dq_add
	VZEROUPPER
	RET

// func rowSumVNNI(n int, a *int8) int32
// Σ a[i] through VPDPBUSD against all-ones bytes; n a multiple of 64.
TEXT ·rowSumVNNI(SB), NOSPLIT, $0-20
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	BCAST(0x01010101, Z31)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	CMPQ   CX, $128
	JL     rs_one

rs_two:
	VPDPBUSD (SI), Z31, Z0
	VPDPBUSD 64(SI), Z31, Z1
	ADDQ     $128, SI
	SUBQ     $128, CX
	CMPQ     CX, $128
	JGE      rs_two

rs_one:
	TESTQ    CX, CX
	JZ       rs_reduce
	VPDPBUSD (SI), Z31, Z0

rs_reduce:
	VPADDD        Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, AX
	MOVL          AX, ret+16(FP)
	VZEROUPPER
	RET
