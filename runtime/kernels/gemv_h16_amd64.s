//go:build !purego

#include "textflag.h"
#include "rowsum_amd64.h"

// 16-bit weight × fp32 kernels. fp16 is widened by F16C's VCVTPH2PS; bfloat16 is the
// top half of a float32, so it is zero-extended to 32 bits and shifted left by 16.
// k (and n for the widening) is a multiple of 16.

// The tiles below read their four rows one after the other, each front to back, two
// accumulators per row: memory sees one stream. Read side by side (four streams k·2
// bytes apart) the fp16 tile got 12–17 GB/s from DRAM on one core, against a 27–31 GB/s
// plain read (the int8 decoding tiles measured the same way).

// func gemvTileF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileF16AVX2(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), R12
	MOVQ x+16(FP), BX
	MOVQ out+24(FP), R13
	XORQ R11, R11

gemvtilef16avx2_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   k+0(FP), CX
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ   CX, $16
	JL     gemvtilef16avx2_one

gemvtilef16avx2_two:
	VCVTPH2PS   (SI)(DX*2), Y4
	VCVTPH2PS   16(SI)(DX*2), Y5
	VFMADD231PS (BX)(DX*4), Y4, Y0
	VFMADD231PS 32(BX)(DX*4), Y5, Y1
	ADDQ $16, DX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  gemvtilef16avx2_two

gemvtilef16avx2_one:
	TESTQ CX, CX
	JZ    gemvtilef16avx2_sum
	VCVTPH2PS   (SI)(DX*2), Y4
	VFMADD231PS (BX)(DX*4), Y4, Y0
	ADDQ  $8, DX
	SUBQ  $8, CX
	JMP   gemvtilef16avx2_one

gemvtilef16avx2_sum:
	STORE_ROW_Y
	INCQ         R11
	CMPQ         R11, $4
	JLT          gemvtilef16avx2_row
	VZEROUPPER
	RET

// func gemvTileBF16AVX2(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileBF16AVX2(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), R12
	MOVQ x+16(FP), BX
	MOVQ out+24(FP), R13
	XORQ R11, R11

gemvtilebf16avx2_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   k+0(FP), CX
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ   CX, $16
	JL     gemvtilebf16avx2_one

gemvtilebf16avx2_two:
	VPMOVZXWD   (SI)(DX*2), Y4
	VPSLLD      $16, Y4, Y4
	VPMOVZXWD   16(SI)(DX*2), Y5
	VPSLLD      $16, Y5, Y5
	VFMADD231PS (BX)(DX*4), Y4, Y0
	VFMADD231PS 32(BX)(DX*4), Y5, Y1
	ADDQ $16, DX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  gemvtilebf16avx2_two

gemvtilebf16avx2_one:
	TESTQ CX, CX
	JZ    gemvtilebf16avx2_sum
	VPMOVZXWD   (SI)(DX*2), Y4
	VPSLLD      $16, Y4, Y4
	VFMADD231PS (BX)(DX*4), Y4, Y0
	ADDQ  $8, DX
	SUBQ  $8, CX
	JMP   gemvtilebf16avx2_one

gemvtilebf16avx2_sum:
	STORE_ROW_Y
	INCQ         R11
	CMPQ         R11, $4
	JLT          gemvtilebf16avx2_row
	VZEROUPPER
	RET

// func gemvTileF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileF16AVX512(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), R12
	MOVQ x+16(FP), BX
	MOVQ out+24(FP), R13
	XORQ R11, R11

gemvtilef16avx512_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   k+0(FP), CX
	XORQ   DX, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	CMPQ   CX, $32
	JL     gemvtilef16avx512_one

gemvtilef16avx512_two:
	VCVTPH2PS   (SI)(DX*2), Z20
	VCVTPH2PS   32(SI)(DX*2), Z21
	VFMADD231PS (BX)(DX*4), Z20, Z0
	VFMADD231PS 64(BX)(DX*4), Z21, Z1
	ADDQ $32, DX
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  gemvtilef16avx512_two

gemvtilef16avx512_one:
	TESTQ CX, CX
	JZ    gemvtilef16avx512_sum
	VCVTPH2PS   (SI)(DX*2), Z20
	VFMADD231PS (BX)(DX*4), Z20, Z0
	ADDQ  $16, DX
	SUBQ  $16, CX
	JMP   gemvtilef16avx512_one

gemvtilef16avx512_sum:
	VADDPS        Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	STORE_ROW_Y
	INCQ         R11
	CMPQ         R11, $4
	JLT          gemvtilef16avx512_row
	VZEROUPPER
	RET

// func gemvTileBF16AVX512(k int, w *[4]*uint16, x *float32, out *[4]float32)
TEXT ·gemvTileBF16AVX512(SB), NOSPLIT, $0-32
	MOVQ w+8(FP), R12
	MOVQ x+16(FP), BX
	MOVQ out+24(FP), R13
	XORQ R11, R11

gemvtilebf16avx512_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   k+0(FP), CX
	XORQ   DX, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	CMPQ   CX, $32
	JL     gemvtilebf16avx512_one

gemvtilebf16avx512_two:
	VPMOVZXWD   (SI)(DX*2), Z20
	VPSLLD      $16, Z20, Z20
	VPMOVZXWD   32(SI)(DX*2), Z21
	VPSLLD      $16, Z21, Z21
	VFMADD231PS (BX)(DX*4), Z20, Z0
	VFMADD231PS 64(BX)(DX*4), Z21, Z1
	ADDQ $32, DX
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  gemvtilebf16avx512_two

gemvtilebf16avx512_one:
	TESTQ CX, CX
	JZ    gemvtilebf16avx512_sum
	VPMOVZXWD   (SI)(DX*2), Z20
	VPSLLD      $16, Z20, Z20
	VFMADD231PS (BX)(DX*4), Z20, Z0
	ADDQ  $16, DX
	SUBQ  $16, CX
	JMP   gemvtilebf16avx512_one

gemvtilebf16avx512_sum:
	VADDPS        Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	STORE_ROW_Y
	INCQ         R11
	CMPQ         R11, $4
	JLT          gemvtilebf16avx512_row
	VZEROUPPER
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
