//go:build !purego

#include "textflag.h"

// 16-bit weight × fp32 kernels. fp16 is widened by F16C's VCVTPH2PS; bfloat16 is the
// top half of a float32, so it is zero-extended to 32 bits and shifted left by 16.
// k (and n for the widening) is a multiple of 16.

// Y0..Y3 hold 8 partial sums of rows 0..3; leave [r0 r1 r2 r3] in X0.
#define H16_REDUCE4_Y \
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

// 16 weights of one row against x in Y8, Y9.
#define F16_ROW_AVX2(row, t, u, acc0, acc1) \
	PREFETCHT0  1024(row)(DX*2); \
	VCVTPH2PS   (row)(DX*2), t; \
	VCVTPH2PS   16(row)(DX*2), u; \
	VFMADD231PS Y8, t, acc0; \
	VFMADD231PS Y9, u, acc1

#define BF16_ROW_AVX2(row, t, u, acc0, acc1) \
	PREFETCHT0  1024(row)(DX*2); \
	VPMOVZXWD   (row)(DX*2), t; \
	VPMOVZXWD   16(row)(DX*2), u; \
	VPSLLD      $16, t, t; \
	VPSLLD      $16, u, u; \
	VFMADD231PS Y8, t, acc0; \
	VFMADD231PS Y9, u, acc1

#define TILE_PROLOGUE_AVX2 \
	MOVQ   k+0(FP), CX; \
	SHRQ   $4, CX; \
	MOVQ   w+8(FP), AX; \
	MOVQ   0(AX), SI; \
	MOVQ   8(AX), DI; \
	MOVQ   16(AX), R8; \
	MOVQ   24(AX), R9; \
	MOVQ   x+16(FP), BX; \
	XORQ   DX, DX; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

#define TILE_EPILOGUE_AVX2 \
	VADDPS  Y4, Y0, Y0; \
	VADDPS  Y5, Y1, Y1; \
	VADDPS  Y6, Y2, Y2; \
	VADDPS  Y7, Y3, Y3; \
	H16_REDUCE4_Y; \
	MOVQ    out+24(FP), AX; \
	VMOVUPS X0, (AX); \
	VZEROUPPER

// func gemvTileF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileF16AVX2(SB), NOSPLIT, $0-32
	TILE_PROLOGUE_AVX2

f16avx2_loop:
	VMOVUPS (BX)(DX*4), Y8
	VMOVUPS 32(BX)(DX*4), Y9
	F16_ROW_AVX2(SI, Y10, Y11, Y0, Y4)
	F16_ROW_AVX2(DI, Y12, Y13, Y1, Y5)
	F16_ROW_AVX2(R8, Y10, Y11, Y2, Y6)
	F16_ROW_AVX2(R9, Y12, Y13, Y3, Y7)
	ADDQ $16, DX
	DECQ CX
	JNZ  f16avx2_loop

	TILE_EPILOGUE_AVX2
	RET

// func gemvTileBF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileBF16AVX2(SB), NOSPLIT, $0-32
	TILE_PROLOGUE_AVX2

bf16avx2_loop:
	VMOVUPS (BX)(DX*4), Y8
	VMOVUPS 32(BX)(DX*4), Y9
	BF16_ROW_AVX2(SI, Y10, Y11, Y0, Y4)
	BF16_ROW_AVX2(DI, Y12, Y13, Y1, Y5)
	BF16_ROW_AVX2(R8, Y10, Y11, Y2, Y6)
	BF16_ROW_AVX2(R9, Y12, Y13, Y3, Y7)
	ADDQ $16, DX
	DECQ CX
	JNZ  bf16avx2_loop

	TILE_EPILOGUE_AVX2
	RET

// 32 weights of one row against x in Z16, Z17; or 16 against Z16 (the _16 forms).
#define F16_ROW_512(row, t, u, acc0, acc1) \
	PREFETCHT0  1024(row)(DX*2); \
	VCVTPH2PS   (row)(DX*2), t; \
	VCVTPH2PS   32(row)(DX*2), u; \
	VFMADD231PS Z16, t, acc0; \
	VFMADD231PS Z17, u, acc1

#define F16_ROW_512_16(row, t, acc) \
	VCVTPH2PS   (row)(DX*2), t; \
	VFMADD231PS Z16, t, acc

#define BF16_ROW_512(row, t, u, acc0, acc1) \
	PREFETCHT0  1024(row)(DX*2); \
	VPMOVZXWD   (row)(DX*2), t; \
	VPMOVZXWD   32(row)(DX*2), u; \
	VPSLLD      $16, t, t; \
	VPSLLD      $16, u, u; \
	VFMADD231PS Z16, t, acc0; \
	VFMADD231PS Z17, u, acc1

#define BF16_ROW_512_16(row, t, acc) \
	VPMOVZXWD   (row)(DX*2), t; \
	VPSLLD      $16, t, t; \
	VFMADD231PS Z16, t, acc

#define TILE_PROLOGUE_512 \
	MOVQ   k+0(FP), CX; \
	MOVQ   w+8(FP), AX; \
	MOVQ   0(AX), SI; \
	MOVQ   8(AX), DI; \
	MOVQ   16(AX), R8; \
	MOVQ   24(AX), R9; \
	MOVQ   x+16(FP), BX; \
	XORQ   DX, DX; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define TILE_EPILOGUE_512 \
	VADDPS        Z4, Z0, Z0; \
	VADDPS        Z5, Z1, Z1; \
	VADDPS        Z6, Z2, Z2; \
	VADDPS        Z7, Z3, Z3; \
	VEXTRACTF64X4 $1, Z0, Y4; \
	VADDPS        Y4, Y0, Y0; \
	VEXTRACTF64X4 $1, Z1, Y4; \
	VADDPS        Y4, Y1, Y1; \
	VEXTRACTF64X4 $1, Z2, Y4; \
	VADDPS        Y4, Y2, Y2; \
	VEXTRACTF64X4 $1, Z3, Y4; \
	VADDPS        Y4, Y3, Y3; \
	H16_REDUCE4_Y; \
	MOVQ          out+24(FP), AX; \
	VMOVUPS       X0, (AX); \
	VZEROUPPER

// func gemvTileF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileF16AVX512(SB), NOSPLIT, $0-32
	TILE_PROLOGUE_512
	CMPQ CX, $32
	JL   f16z_one

f16z_two:
	VMOVUPS (BX)(DX*4), Z16
	VMOVUPS 64(BX)(DX*4), Z17
	F16_ROW_512(SI, Z20, Z21, Z0, Z4)
	F16_ROW_512(DI, Z22, Z23, Z1, Z5)
	F16_ROW_512(R8, Z24, Z25, Z2, Z6)
	F16_ROW_512(R9, Z26, Z27, Z3, Z7)
	ADDQ $32, DX
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  f16z_two

f16z_one:
	TESTQ CX, CX
	JZ    f16z_sum
	VMOVUPS (BX)(DX*4), Z16
	F16_ROW_512_16(SI, Z20, Z0)
	F16_ROW_512_16(DI, Z21, Z1)
	F16_ROW_512_16(R8, Z22, Z2)
	F16_ROW_512_16(R9, Z23, Z3)

f16z_sum:
	TILE_EPILOGUE_512
	RET

// func gemvTileBF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileBF16AVX512(SB), NOSPLIT, $0-32
	TILE_PROLOGUE_512
	CMPQ CX, $32
	JL   bf16z_one

bf16z_two:
	VMOVUPS (BX)(DX*4), Z16
	VMOVUPS 64(BX)(DX*4), Z17
	BF16_ROW_512(SI, Z20, Z21, Z0, Z4)
	BF16_ROW_512(DI, Z22, Z23, Z1, Z5)
	BF16_ROW_512(R8, Z24, Z25, Z2, Z6)
	BF16_ROW_512(R9, Z26, Z27, Z3, Z7)
	ADDQ $32, DX
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  bf16z_two

bf16z_one:
	TESTQ CX, CX
	JZ    bf16z_sum
	VMOVUPS (BX)(DX*4), Z16
	BF16_ROW_512_16(SI, Z20, Z0)
	BF16_ROW_512_16(DI, Z21, Z1)
	BF16_ROW_512_16(R8, Z22, Z2)
	BF16_ROW_512_16(R9, Z23, Z3)

bf16z_sum:
	TILE_EPILOGUE_512
	RET

// func widenF16AVX2(n int, src *uint16, dst *float32)
TEXT ·widenF16AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	SHRQ $4, CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI

widenf16_loop:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       widenf16_loop
	VZEROUPPER
	RET

// func widenBF16AVX2(n int, src *uint16, dst *float32)
TEXT ·widenBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	SHRQ $4, CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI

widenbf16_loop:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       widenbf16_loop
	VZEROUPPER
	RET
