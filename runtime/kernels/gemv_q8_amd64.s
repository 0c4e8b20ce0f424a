//go:build !purego

#include "textflag.h"
#include "vnni_amd64.h"
#include "rowsum_amd64.h"

// int8 weights × block-quantized int8 activations (Q8): per block of 64 values, the
// int32 sum of products of each of four weight rows, converted to float and
// accumulated with the block's scale. nb whole blocks; the Go driver does the tail.

// VPDPBUSD multiplies unsigned by signed bytes, so the weights go in as w XOR 0x80 =
// w+128 (unsigned) against the signed activations; the driver subtracts the 128·Σq
// this adds (the same for every row).

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
	STORE_ROW_Y
	INCQ          R11
	CMPQ          R11, $4
	JLT           q8vnni_row
	VZEROUPPER
	RET

// One block (64 values at off) of the row at SI against q at BX, into f with the
// block's scale at soff(R10): PMADDUBSW multiplies unsigned by signed bytes, so |w| goes
// in against q with w's sign (q' = sign(w)·q); |w| ≤ 128 and |q'| ≤ 127 keep each
// pair's sum inside int16. PMADDWD with ones (Y11) widens the pairs to int32.
#define Q8BLOCK_AVX2(off, off2, soff, w0, w1, q0, q1, a0, a1, f) \
	VMOVDQU      off(SI)(DX*1), w0; \
	VMOVDQU      off2(SI)(DX*1), w1; \
	VMOVDQU      off(BX)(DX*1), q0; \
	VMOVDQU      off2(BX)(DX*1), q1; \
	VPABSB       w0, a0; \
	VPSIGNB      w0, q0, q0; \
	VPMADDUBSW   q0, a0, q0; \
	VPMADDWD     Y11, q0, q0; \
	VPABSB       w1, a1; \
	VPSIGNB      w1, q1, q1; \
	VPMADDUBSW   q1, a1, q1; \
	VPMADDWD     Y11, q1, q1; \
	VPADDD       q1, q0, q0; \
	VCVTDQ2PS    q0, q0; \
	VBROADCASTSS soff(R10), a0; \
	VFMADD231PS  a0, q0, f

// func gemvQ8TileAVX2(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
// The rows one after the other, as gemvQ8TileVNNI (one stream for memory).
TEXT ·gemvQ8TileAVX2(SB), NOSPLIT, $0-40
	MOVQ         w+8(FP), R12
	MOVQ         q+16(FP), BX
	MOVQ         out+32(FP), R13
	MOVL         $0x00010001, AX
	MOVD         AX, X11
	VPBROADCASTD X11, Y11
	XORQ         R11, R11

q8avx2_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   nb+0(FP), CX
	MOVQ   s+24(FP), R10
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ   CX, $2
	JLT    q8avx2_one

q8avx2_two:
	Q8BLOCK_AVX2(0, 32, 0, Y2, Y3, Y4, Y5, Y6, Y7, Y0)
	Q8BLOCK_AVX2(64, 96, 4, Y8, Y9, Y10, Y12, Y13, Y14, Y1)
	ADDQ $128, DX
	ADDQ $8, R10
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q8avx2_two

q8avx2_one:
	TESTQ CX, CX
	JZ    q8avx2_sum
	Q8BLOCK_AVX2(0, 32, 0, Y2, Y3, Y4, Y5, Y6, Y7, Y0)

q8avx2_sum:
	STORE_ROW_Y
	INCQ R11
	CMPQ R11, $4
	JLT  q8avx2_row
	VZEROUPPER
	RET

// One block (64 values at off) of the row at SI with AVX-VNNI, into f with the block's
// scale at soff(R10): the weights as w XOR 0x80 = w+128 (unsigned, Y9 holds the 0x80s)
// against the signed activations; the Go driver subtracts the 128·Σq this adds, as for
// the AVX-512 kernel. Register numbers for the VEX encoding: acc, u0, u1, s0, s1.
#define Q8BLOCK_AVXVNNI(off, off2, soff, acc, acc_, u0, u0_, u1, u1_, s0, s0_, s1, s1_, sc, f) \
	VMOVDQU      off(BX)(DX*1), s0; \
	VMOVDQU      off2(BX)(DX*1), s1; \
	VPXOR        off(SI)(DX*1), Y9, u0; \
	VPXOR        off2(SI)(DX*1), Y9, u1; \
	VPXOR        acc, acc, acc; \
	VPDPBUSD_VEX(acc_, u0_, s0_); \
	VPDPBUSD_VEX(acc_, u1_, s1_); \
	VCVTDQ2PS    acc, acc; \
	VBROADCASTSS soff(R10), sc; \
	VFMADD231PS  sc, acc, f

// func gemvQ8TileAVXVNNI(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
// The rows one after the other, as gemvQ8TileVNNI (one stream for memory).
TEXT ·gemvQ8TileAVXVNNI(SB), NOSPLIT, $0-40
	MOVQ         w+8(FP), R12
	MOVQ         q+16(FP), BX
	MOVQ         out+32(FP), R13
	MOVL         $0x80808080, AX
	MOVD         AX, X9
	VPBROADCASTD X9, Y9
	XORQ         R11, R11

q8avxvnni_row:
	MOVQ   (R12)(R11*8), SI
	MOVQ   nb+0(FP), CX
	MOVQ   s+24(FP), R10
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ   CX, $2
	JLT    q8avxvnni_one

q8avxvnni_two:
	Q8BLOCK_AVXVNNI(0, 32, 0, Y2, 2, Y14, 14, Y15, 15, Y12, 12, Y13, 13, Y3, Y0)
	Q8BLOCK_AVXVNNI(64, 96, 4, Y8, 8, Y6, 6, Y7, 7, Y4, 4, Y5, 5, Y10, Y1)
	ADDQ $128, DX
	ADDQ $8, R10
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q8avxvnni_two

q8avxvnni_one:
	TESTQ CX, CX
	JZ    q8avxvnni_sum
	Q8BLOCK_AVXVNNI(0, 32, 0, Y2, 2, Y14, 14, Y15, 15, Y12, 12, Y13, 13, Y3, Y0)

q8avxvnni_sum:
	STORE_ROW_Y
	INCQ R11
	CMPQ R11, $4
	JLT  q8avxvnni_row
	VZEROUPPER
	RET
