//go:build !purego

#include "textflag.h"

// Symmetric int8 quantization. Rounding half away from zero, bit-exact with
// quantizeOne: t = trunc(s); t += sign(s) where |s − t| ≥ 0.5 (s − t is exact).

// func maxAbsAVX512(n int, x *float32) float32   (n a multiple of 16)
TEXT ·maxAbsAVX512(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), SI
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	VPXORD       Z0, Z0, Z0
	VPXORD       Z1, Z1, Z1
	CMPQ         CX, $32
	JL           max512_one

max512_two:
	VPANDD (SI), Z31, Z2
	VPANDD 64(SI), Z31, Z3
	// VMAXPS returns its second source (the running max) when x is NaN.
	VMAXPS Z0, Z2, Z0
	VMAXPS Z1, Z3, Z1
	ADDQ   $128, SI
	SUBQ   $32, CX
	CMPQ   CX, $32
	JGE    max512_two

max512_one:
	TESTQ  CX, CX
	JZ     max512_reduce
	VPANDD (SI), Z31, Z2
	VMAXPS Z0, Z2, Z0

max512_reduce:
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

// func quantizeAVX512(n int, x *float32, inv float32, q *int8)   (n a multiple of 16)
TEXT ·quantizeAVX512(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	SHRQ         $4, CX
	MOVQ         x+8(FP), SI
	VBROADCASTSS inv+16(FP), Z0
	MOVQ         q+24(FP), DI
	MOVL         $0x3f000000, AX // 0.5
	VPBROADCASTD AX, Z1
	MOVL         $0x3f800000, AX // 1.0
	VPBROADCASTD AX, Z2
	MOVL         $0x80000000, AX // sign bit
	VPBROADCASTD AX, Z3
	MOVL         $0x42fe0000, AX // 127.0
	VPBROADCASTD AX, Z4
	MOVL         $0xc2fe0000, AX // -127.0
	VPBROADCASTD AX, Z5
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z6

quant512_loop:
	VMULPS      (SI), Z0, Z7       // s = x·inv
	VRNDSCALEPS $0x0B, Z7, Z8      // t = trunc(s)
	VSUBPS      Z8, Z7, Z9
	VPANDD      Z6, Z9, Z9         // |s − t|
	VCMPPS      $0x1D, Z1, Z9, K1  // ≥ 0.5
	VPANDD      Z3, Z7, Z10
	VPORD       Z2, Z10, Z10       // ±1 with the sign of s
	VADDPS      Z10, Z8, K1, Z8
	VMINPS      Z4, Z8, Z8
	VMAXPS      Z5, Z8, Z8
	VCMPPS      $7, Z7, Z7, K2     // s is not NaN
	VCVTTPS2DQ.Z Z8, K2, Z11       // NaN lanes → 0
	VPMOVSDB    Z11, (DI)
	ADDQ        $64, SI
	ADDQ        $16, DI
	DECQ        CX
	JNZ         quant512_loop
	VZEROUPPER
	RET

// func maxAbsAVX2(n int, x *float32) float32   (n a multiple of 8)
TEXT ·maxAbsAVX2(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	SHRQ         $3, CX
	MOVQ         x+8(FP), SI
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6
	VXORPS       Y0, Y0, Y0

max2_loop:
	VANDPS (SI), Y6, Y1
	VMAXPS Y0, Y1, Y0
	ADDQ   $32, SI
	DECQ   CX
	JNZ    max2_loop

	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func quantizeAVX2(n int, x *float32, inv float32, q *int8)   (n a multiple of 8)
TEXT ·quantizeAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	SHRQ         $3, CX
	MOVQ         x+8(FP), SI
	VBROADCASTSS inv+16(FP), Y0
	MOVQ         q+24(FP), DI
	MOVL         $0x3f000000, AX
	VMOVD        AX, X1
	VPBROADCASTD X1, Y1
	MOVL         $0x3f800000, AX
	VMOVD        AX, X2
	VPBROADCASTD X2, Y2
	MOVL         $0x80000000, AX
	VMOVD        AX, X3
	VPBROADCASTD X3, Y3
	MOVL         $0x42fe0000, AX
	VMOVD        AX, X4
	VPBROADCASTD X4, Y4
	MOVL         $0xc2fe0000, AX
	VMOVD        AX, X5
	VPBROADCASTD X5, Y5
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6

quant2_loop:
	VMULPS       (SI), Y0, Y7
	VROUNDPS     $0x0B, Y7, Y8
	VSUBPS       Y8, Y7, Y9
	VANDPS       Y6, Y9, Y9
	VCMPPS       $0x1D, Y1, Y9, Y9
	VANDPS       Y3, Y7, Y10
	VORPS        Y2, Y10, Y10
	VANDPS       Y9, Y10, Y10
	VADDPS       Y10, Y8, Y8
	VMINPS       Y4, Y8, Y8
	VMAXPS       Y5, Y8, Y8
	VCMPPS       $7, Y7, Y7, Y9
	VANDPS       Y9, Y8, Y8
	VCVTTPS2DQ   Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPACKSSDW    X9, X8, X8
	VPACKSSWB    X8, X8, X8
	VMOVQ        X8, (DI)
	ADDQ         $32, SI
	ADDQ         $8, DI
	DECQ         CX
	JNZ          quant2_loop
	VZEROUPPER
	RET
