//go:build !purego

#include "textflag.h"

// Int4 (Q4) weights × fp32 activations, one row: each 16-byte block is zero-extended
// to dwords, split into its low nibbles (weights 0..15) and high nibbles (16..31),
// offset by 8, converted to float32 and multiplied with x in FMAs. A group's sum is
// scaled by its fp16 scale (VCVTPH2PS) into the row's total.

// func q4DotAVX512(groups, gsize int, w *uint8, s *uint16, x *float32) float32
TEXT ·q4DotAVX512(SB), NOSPLIT, $0-44
	MOVQ         groups+0(FP), CX
	MOVQ         gsize+8(FP), R8
	SHRQ         $5, R8
	MOVQ         w+16(FP), SI
	MOVQ         s+24(FP), DI
	MOVQ         x+32(FP), BX
	MOVL         $15, AX
	VPBROADCASTD AX, Z31
	MOVL         $8, AX
	VPBROADCASTD AX, Z30
	VPXORD       Z0, Z0, Z0

q4g512:
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	MOVQ   R8, DX

q4b512:
	VPMOVZXBD   (SI), Z3
	VPSRLD      $4, Z3, Z4
	VPANDD      Z31, Z3, Z3
	VPSUBD      Z30, Z3, Z3
	VPSUBD      Z30, Z4, Z4
	VCVTDQ2PS   Z3, Z3
	VCVTDQ2PS   Z4, Z4
	VFMADD231PS (BX), Z3, Z1
	VFMADD231PS 64(BX), Z4, Z2
	ADDQ        $16, SI
	ADDQ        $128, BX
	DECQ        DX
	JNZ         q4b512

	VADDPS       Z2, Z1, Z1
	VPBROADCASTW (DI), Y5
	VCVTPH2PS    Y5, Z5
	VFMADD231PS  Z5, Z1, Z0
	ADDQ         $2, DI
	DECQ         CX
	JNZ          q4g512

	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VPSHUFD       $1, X0, X1
	VADDSS        X1, X0, X0
	VMOVSS        X0, ret+40(FP)
	VZEROUPPER
	RET

// func q4DotAVX2(groups, gsize int, w *uint8, s *uint16, x *float32) float32
// Needs F16C besides AVX2 and FMA.
TEXT ·q4DotAVX2(SB), NOSPLIT, $0-44
	MOVQ         groups+0(FP), CX
	MOVQ         gsize+8(FP), R8
	SHRQ         $5, R8
	MOVQ         w+16(FP), SI
	MOVQ         s+24(FP), DI
	MOVQ         x+32(FP), BX
	MOVL         $15, AX
	MOVD         AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $8, AX
	MOVD         AX, X14
	VPBROADCASTD X14, Y14
	VXORPS       Y0, Y0, Y0

q4g2:
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	MOVQ   R8, DX

q4b2:
	VPMOVZXBD   (SI), Y3
	VPMOVZXBD   8(SI), Y6
	VPSRLD      $4, Y3, Y4
	VPSRLD      $4, Y6, Y7
	VPAND       Y15, Y3, Y3
	VPAND       Y15, Y6, Y6
	VPSUBD      Y14, Y3, Y3
	VPSUBD      Y14, Y4, Y4
	VPSUBD      Y14, Y6, Y6
	VPSUBD      Y14, Y7, Y7
	VCVTDQ2PS   Y3, Y3
	VCVTDQ2PS   Y4, Y4
	VCVTDQ2PS   Y6, Y6
	VCVTDQ2PS   Y7, Y7
	VFMADD231PS (BX), Y3, Y1
	VFMADD231PS 32(BX), Y6, Y2
	VFMADD231PS 64(BX), Y4, Y1
	VFMADD231PS 96(BX), Y7, Y2
	ADDQ        $16, SI
	ADDQ        $128, BX
	DECQ        DX
	JNZ         q4b2

	VADDPS       Y2, Y1, Y1
	VPBROADCASTW (DI), X5
	VCVTPH2PS    X5, Y5
	VFMADD231PS  Y5, Y1, Y0
	ADDQ         $2, DI
	DECQ         CX
	JNZ          q4g2

	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+40(FP)
	VZEROUPPER
	RET

// func q4DequantAVX512(groups, gsize int, w *uint8, s *uint16, dst *float32)
TEXT ·q4DequantAVX512(SB), NOSPLIT, $0-40
	MOVQ         groups+0(FP), CX
	MOVQ         gsize+8(FP), R8
	SHRQ         $5, R8
	MOVQ         w+16(FP), SI
	MOVQ         s+24(FP), DI
	MOVQ         dst+32(FP), BX
	MOVL         $15, AX
	VPBROADCASTD AX, Z31
	MOVL         $8, AX
	VPBROADCASTD AX, Z30

dq4g512:
	VPBROADCASTW (DI), Y5
	VCVTPH2PS    Y5, Z5
	MOVQ         R8, DX

dq4b512:
	VPMOVZXBD (SI), Z3
	VPSRLD    $4, Z3, Z4
	VPANDD    Z31, Z3, Z3
	VPSUBD    Z30, Z3, Z3
	VPSUBD    Z30, Z4, Z4
	VCVTDQ2PS Z3, Z3
	VCVTDQ2PS Z4, Z4
	VMULPS    Z5, Z3, Z3
	VMULPS    Z5, Z4, Z4
	VMOVUPS   Z3, (BX)
	VMOVUPS   Z4, 64(BX)
	ADDQ      $16, SI
	ADDQ      $128, BX
	DECQ      DX
	JNZ       dq4b512
	ADDQ      $2, DI
	DECQ      CX
	JNZ       dq4g512
	VZEROUPPER
	RET

// func q4DequantAVX2(groups, gsize int, w *uint8, s *uint16, dst *float32)
TEXT ·q4DequantAVX2(SB), NOSPLIT, $0-40
	MOVQ         groups+0(FP), CX
	MOVQ         gsize+8(FP), R8
	SHRQ         $5, R8
	MOVQ         w+16(FP), SI
	MOVQ         s+24(FP), DI
	MOVQ         dst+32(FP), BX
	MOVL         $15, AX
	MOVD         AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $8, AX
	MOVD         AX, X14
	VPBROADCASTD X14, Y14

dq4g2:
	VPBROADCASTW (DI), X5
	VCVTPH2PS    X5, Y5
	MOVQ         R8, DX

dq4b2:
	VPMOVZXBD (SI), Y3
	VPMOVZXBD 8(SI), Y6
	VPSRLD    $4, Y3, Y4
	VPSRLD    $4, Y6, Y7
	VPAND     Y15, Y3, Y3
	VPAND     Y15, Y6, Y6
	VPSUBD    Y14, Y3, Y3
	VPSUBD    Y14, Y4, Y4
	VPSUBD    Y14, Y6, Y6
	VPSUBD    Y14, Y7, Y7
	VCVTDQ2PS Y3, Y3
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y7, Y7
	VMULPS    Y5, Y3, Y3
	VMULPS    Y5, Y6, Y6
	VMULPS    Y5, Y4, Y4
	VMULPS    Y5, Y7, Y7
	VMOVUPS   Y3, (BX)
	VMOVUPS   Y6, 32(BX)
	VMOVUPS   Y4, 64(BX)
	VMOVUPS   Y7, 96(BX)
	ADDQ      $16, SI
	ADDQ      $128, BX
	DECQ      DX
	JNZ       dq4b2
	ADDQ      $2, DI
	DECQ      CX
	JNZ       dq4g2
	VZEROUPPER
	RET
