//go:build !purego

#include "textflag.h"
#include "vnni_amd64.h"

// int8 weights × block-quantized int8 activations (Q8): per block of 64 values, the
// int32 sum of products of each of four weight rows, converted to float and
// accumulated with the block's scale. nb whole blocks; the Go driver does the tail.

// VPDPBUSD multiplies unsigned by signed bytes, so the weights go in as w XOR 0x80 =
// w+128 (unsigned) against the signed activations; the driver subtracts the 128·Σq
// this adds (the same for every row).

// Y0..Y3 hold 8 partial sums of rows 0..3; leave [r0 r1 r2 r3] in X0.
#define Q8REDUCE4_Y \
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

// Q8BLOCK_VNNI adds one block (64 values at DX) of the row at SI, times its scale at
// R10, into f; acc and t are temporaries.
#define Q8BLOCK_VNNI(off, soff, acc, t, sc, f) \
	VPXORD       off(SI)(DX*1), Z28, t; \
	VPXORD       acc, acc, acc; \
	VPDPBUSD     off(BX)(DX*1), t, acc; \
	VCVTDQ2PS    acc, acc; \
	VBROADCASTSS soff(R10), sc; \
	VFMADD231PS  sc, acc, f

// func gemvQ8TileVNNI(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
// The four rows one after the other, each read front to back: memory sees one stream.
// Reading them side by side (four streams k bytes apart) got 15–20 GB/s from DRAM on
// one core where this gets 23–27 and a plain read 27–31. Two accumulators per row, so
// that the FMAs into them do not wait on each other.
TEXT ·gemvQ8TileVNNI(SB), NOSPLIT, $0-40
	MOVQ         w+8(FP), R12
	MOVQ         q+16(FP), BX
	MOVQ         out+32(FP), R13
	MOVL         $0x80808080, AX
	VPBROADCASTD AX, Z28
	XORQ         R11, R11

q8vnni_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   nb+0(FP), CX
	MOVQ   s+24(FP), R10
	XORQ   DX, DX
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	CMPQ   CX, $2
	JLT    q8vnni_one

q8vnni_two:
	Q8BLOCK_VNNI(0, 0, Z0, Z20, Z18, Z8)
	Q8BLOCK_VNNI(64, 4, Z1, Z21, Z19, Z9)
	ADDQ $128, DX
	ADDQ $8, R10
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q8vnni_two

q8vnni_one:
	TESTQ CX, CX
	JZ    q8vnni_sum
	Q8BLOCK_VNNI(0, 0, Z0, Z20, Z18, Z8)

q8vnni_sum:
	VADDPS        Z9, Z8, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VPSHUFD       $1, X0, X1
	VADDSS        X1, X0, X0
	VMOVSS        X0, (R13)(R11*4)
	INCQ          R11
	CMPQ          R11, $4
	JLT           q8vnni_row
	VZEROUPPER
	RET

// One row, 32 values: PMADDUBSW multiplies unsigned by signed bytes, so |w| goes in
// against q with w's sign (q' = sign(w)·q); |w| ≤ 128 and |q'| ≤ 127 keep each pair's
// sum inside int16. PMADDWD with ones widens the pairs to int32.
#define Q8ROW_AVX2(row, off, acc) \
	VMOVDQU    off(row)(DX*1), Y13; \
	VPABSB     Y13, Y14; \
	VPSIGNB    Y13, Y12, Y15; \
	VPMADDUBSW Y15, Y14, Y15; \
	VPMADDWD   Y11, Y15, Y15; \
	VPADDD     Y15, acc, acc

#define Q8CHUNK_AVX2(off) \
	VMOVDQU (BX)(DX*1), Y12; \
	Q8ROW_AVX2(SI, off, Y0); \
	Q8ROW_AVX2(DI, off, Y1); \
	Q8ROW_AVX2(R8, off, Y2); \
	Q8ROW_AVX2(R9, off, Y3)

#define Q8SCALE_AVX2(acc, f) \
	VCVTDQ2PS   acc, acc; \
	VFMADD231PS Y8, acc, f; \
	VPXOR       acc, acc, acc

// func gemvQ8TileAVX2(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
TEXT ·gemvQ8TileAVX2(SB), NOSPLIT, $0-40
	MOVQ         nb+0(FP), CX
	MOVQ         w+8(FP), AX
	MOVQ         0(AX), SI
	MOVQ         8(AX), DI
	MOVQ         16(AX), R8
	MOVQ         24(AX), R9
	MOVQ         q+16(FP), BX
	MOVQ         s+24(FP), R10
	XORQ         DX, DX
	MOVL         $0x00010001, AX
	MOVD         AX, X11
	VPBROADCASTD X11, Y11
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7

q8avx2_loop:
	PREFETCHT0   512(SI)(DX*1)
	PREFETCHT0   512(DI)(DX*1)
	PREFETCHT0   512(R8)(DX*1)
	PREFETCHT0   512(R9)(DX*1)
	Q8CHUNK_AVX2(0)
	ADDQ         $32, DX
	Q8CHUNK_AVX2(0)
	ADDQ         $32, DX
	VBROADCASTSS (R10), Y8
	Q8SCALE_AVX2(Y0, Y4)
	Q8SCALE_AVX2(Y1, Y5)
	Q8SCALE_AVX2(Y2, Y6)
	Q8SCALE_AVX2(Y3, Y7)
	ADDQ         $4, R10
	DECQ         CX
	JNZ          q8avx2_loop

	VMOVAPS Y4, Y0
	VMOVAPS Y5, Y1
	VMOVAPS Y6, Y2
	VMOVAPS Y7, Y3
	Q8REDUCE4_Y
	MOVQ    out+32(FP), AX
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// One row, one Q8 block (64 values) with AVX-VNNI: the weights as w XOR 0x80 = w+128
// (unsigned) against the signed activations in Y12, Y13; the Go driver subtracts the
// 128·Σq this adds, as for the AVX-512 kernel.
#define Q8ROW_AVXVNNI(row, acc) \
	VPXOR (row)(DX*1), Y9, Y14; \
	VPXOR 32(row)(DX*1), Y9, Y15; \
	VPDPBUSD_VEX(acc, 14, 12); \
	VPDPBUSD_VEX(acc, 15, 13)

#define Q8SCALE_AVXVNNI(acc, f) \
	VCVTDQ2PS   acc, acc; \
	VFMADD231PS Y8, acc, f; \
	VPXOR       acc, acc, acc

// func gemvQ8TileAVXVNNI(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
TEXT ·gemvQ8TileAVXVNNI(SB), NOSPLIT, $0-40
	MOVQ         nb+0(FP), CX
	MOVQ         w+8(FP), AX
	MOVQ         0(AX), SI
	MOVQ         8(AX), DI
	MOVQ         16(AX), R8
	MOVQ         24(AX), R9
	MOVQ         q+16(FP), BX
	MOVQ         s+24(FP), R10
	XORQ         DX, DX
	MOVL         $0x80808080, AX
	MOVD         AX, X9
	VPBROADCASTD X9, Y9
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7

q8avxvnni_loop:
	PREFETCHT0   1024(SI)(DX*1)
	PREFETCHT0   1024(DI)(DX*1)
	PREFETCHT0   1024(R8)(DX*1)
	PREFETCHT0   1024(R9)(DX*1)
	VMOVDQU      (BX)(DX*1), Y12
	VMOVDQU      32(BX)(DX*1), Y13
	VBROADCASTSS (R10), Y8
	Q8ROW_AVXVNNI(SI, 0)
	Q8ROW_AVXVNNI(DI, 1)
	Q8ROW_AVXVNNI(R8, 2)
	Q8ROW_AVXVNNI(R9, 3)
	Q8SCALE_AVXVNNI(Y0, Y4)
	Q8SCALE_AVXVNNI(Y1, Y5)
	Q8SCALE_AVXVNNI(Y2, Y6)
	Q8SCALE_AVXVNNI(Y3, Y7)
	ADDQ         $64, DX
	ADDQ         $4, R10
	DECQ         CX
	JNZ          q8avxvnni_loop

	VMOVAPS      Y4, Y0
	VMOVAPS      Y5, Y1
	VMOVAPS      Y6, Y2
	VMOVAPS      Y7, Y3
	Q8REDUCE4_Y
	MOVQ         out+32(FP), AX
	VMOVUPS      X0, (AX)
	VZEROUPPER
	RET
