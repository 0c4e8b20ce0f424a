//go:build !purego

#include "textflag.h"

// Weight-only int8 × fp32 kernels: the int8 weights are sign-extended to int32,
// converted to float32 and multiplied with the fp32 activations in FMAs.
// k is a multiple of 16.

// Y0..Y3 hold 8 partial sums of rows 0..3; leave [r0 r1 r2 r3] in X0.
#define REDUCE4_Y \
	VPERM2F128   $0x20, Y1, Y0, Y4; \
	VPERM2F128   $0x31, Y1, Y0, Y5; \
	VADDPS       Y5, Y4, Y0; \
	VPERM2F128   $0x20, Y3, Y2, Y4; \
	VPERM2F128   $0x31, Y3, Y2, Y5; \
	VADDPS       Y5, Y4, Y2; \
	VHADDPS      Y2, Y0, Y0; \
	VHADDPS      Y0, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VUNPCKLPS    X1, X0, X0

#define GEMV_ROW_512(row, t, acc) \
	VPMOVSXBD   (row)(DX*1), t; \
	VCVTDQ2PS   t, t; \
	VFMADD231PS Z16, t, acc

// 64 bytes of one row against x in Z16..Z19, two accumulators, and a prefetch one
// kilobyte ahead: the rows of a group are short streams that the hardware
// prefetcher only learns late.
#define GEMV_ROW64_512(row, acc0, acc1) \
	PREFETCHT0  512(row)(DX*1); \
	VPMOVSXBD   (row)(DX*1), Z20; \
	VPMOVSXBD   16(row)(DX*1), Z21; \
	VPMOVSXBD   32(row)(DX*1), Z22; \
	VPMOVSXBD   48(row)(DX*1), Z23; \
	VCVTDQ2PS   Z20, Z20; \
	VCVTDQ2PS   Z21, Z21; \
	VCVTDQ2PS   Z22, Z22; \
	VCVTDQ2PS   Z23, Z23; \
	VFMADD231PS Z16, Z20, acc0; \
	VFMADD231PS Z17, Z21, acc1; \
	VFMADD231PS Z18, Z22, acc0; \
	VFMADD231PS Z19, Z23, acc1

// func gemvTileAVX512(k int, w *[4]*int8, x *float32, out *[4]float32)
TEXT ·gemvTileAVX512(SB), NOSPLIT, $0-32
	MOVQ   k+0(FP), CX
	MOVQ   w+8(FP), AX
	MOVQ   0(AX), SI
	MOVQ   8(AX), DI
	MOVQ   16(AX), R8
	MOVQ   24(AX), R9
	MOVQ   x+16(FP), BX
	XORQ   DX, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	CMPQ   CX, $64
	JL     gemv512_one

gemv512_four:
	VMOVUPS (BX)(DX*4), Z16
	VMOVUPS 64(BX)(DX*4), Z17
	VMOVUPS 128(BX)(DX*4), Z18
	VMOVUPS 192(BX)(DX*4), Z19
	GEMV_ROW64_512(SI, Z0, Z4)
	GEMV_ROW64_512(DI, Z1, Z5)
	GEMV_ROW64_512(R8, Z2, Z6)
	GEMV_ROW64_512(R9, Z3, Z7)
	ADDQ $64, DX
	SUBQ $64, CX
	CMPQ CX, $64
	JGE  gemv512_four

gemv512_one:
	TESTQ CX, CX
	JZ    gemv512_sum
	VMOVUPS (BX)(DX*4), Z16
	GEMV_ROW_512(SI, Z17, Z0)
	GEMV_ROW_512(DI, Z18, Z1)
	GEMV_ROW_512(R8, Z19, Z2)
	GEMV_ROW_512(R9, Z20, Z3)
	ADDQ $16, DX
	SUBQ $16, CX
	JMP  gemv512_one

gemv512_sum:
	VADDPS        Z4, Z0, Z0
	VADDPS        Z5, Z1, Z1
	VADDPS        Z6, Z2, Z2
	VADDPS        Z7, Z3, Z3
	VEXTRACTF64X4 $1, Z0, Y4
	VADDPS        Y4, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y4
	VADDPS        Y4, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y4
	VADDPS        Y4, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y4
	VADDPS        Y4, Y3, Y3
	REDUCE4_Y
	MOVQ          out+24(FP), AX
	VMOVUPS       X0, (AX)
	VZEROUPPER
	RET

#define GEMV_ROW_AVX2(row, t, u, acc0, acc1) \
	PREFETCHT0  512(row)(DX*1); \
	VPMOVSXBD   (row)(DX*1), t; \
	VPMOVSXBD   8(row)(DX*1), u; \
	VCVTDQ2PS   t, t; \
	VCVTDQ2PS   u, u; \
	VFMADD231PS Y8, t, acc0; \
	VFMADD231PS Y9, u, acc1

// func gemvTileAVX2(k int, w *[4]*int8, x *float32, out *[4]float32)
TEXT ·gemvTileAVX2(SB), NOSPLIT, $0-32
	MOVQ   k+0(FP), CX
	SHRQ   $4, CX
	MOVQ   w+8(FP), AX
	MOVQ   0(AX), SI
	MOVQ   8(AX), DI
	MOVQ   16(AX), R8
	MOVQ   24(AX), R9
	MOVQ   x+16(FP), BX
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

gemv2_loop:
	VMOVUPS (BX)(DX*4), Y8
	VMOVUPS 32(BX)(DX*4), Y9
	GEMV_ROW_AVX2(SI, Y10, Y11, Y0, Y4)
	GEMV_ROW_AVX2(DI, Y12, Y13, Y1, Y5)
	GEMV_ROW_AVX2(R8, Y10, Y11, Y2, Y6)
	GEMV_ROW_AVX2(R9, Y12, Y13, Y3, Y7)
	ADDQ $16, DX
	DECQ CX
	JNZ  gemv2_loop

	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	REDUCE4_Y
	MOVQ    out+24(FP), AX
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// func dotI8AVX512(k int, w *int8, x *float32) float32
TEXT ·dotI8AVX512(SB), NOSPLIT, $0-28
	MOVQ   k+0(FP), CX
	MOVQ   w+8(FP), SI
	MOVQ   x+16(FP), BX
	XORQ   DX, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	CMPQ   CX, $32
	JL     dot512_one

dot512_two:
	VPMOVSXBD   (SI)(DX*1), Z2
	VPMOVSXBD   16(SI)(DX*1), Z3
	VCVTDQ2PS   Z2, Z2
	VCVTDQ2PS   Z3, Z3
	VFMADD231PS (BX)(DX*4), Z2, Z0
	VFMADD231PS 64(BX)(DX*4), Z3, Z1
	ADDQ        $32, DX
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dot512_two

dot512_one:
	TESTQ CX, CX
	JZ    dot512_sum
	VPMOVSXBD   (SI)(DX*1), Z2
	VCVTDQ2PS   Z2, Z2
	VFMADD231PS (BX)(DX*4), Z2, Z0

dot512_sum:
	VADDPS        Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VPSHUFD       $1, X0, X1
	VADDSS        X1, X0, X0
	VMOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotI8AVX2(k int, w *int8, x *float32) float32
TEXT ·dotI8AVX2(SB), NOSPLIT, $0-28
	MOVQ   k+0(FP), CX
	SHRQ   $4, CX
	MOVQ   w+8(FP), SI
	MOVQ   x+16(FP), BX
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

dot2_loop:
	VPMOVSXBD   (SI)(DX*1), Y2
	VPMOVSXBD   8(SI)(DX*1), Y3
	VCVTDQ2PS   Y2, Y2
	VCVTDQ2PS   Y3, Y3
	VFMADD231PS (BX)(DX*4), Y2, Y0
	VFMADD231PS 32(BX)(DX*4), Y3, Y1
	ADDQ        $16, DX
	DECQ        CX
	JNZ         dot2_loop

	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET
