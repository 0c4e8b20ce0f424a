//go:build !purego

#include "textflag.h"
#include "vnni_amd64.h"
#include "rowsum_amd64.h"

// int8 weights × block-quantized int8 activations (Q8), for decoding: n weight rows
// (ldw bytes apart) one after the other, each row's per-block int32 sums of products
// converted to float and accumulated with the block's scale, then y[i] = scales[i]·(sum −
// off). nb whole blocks of 64; the Go driver adds the tail.
//
// Every row of a call in one loop, its scale and store included: memory sees one stream
// with no gaps. Returning to Go every four rows (the tiles these kernels used to be)
// read the weights 6–7 % slower than a plain streaming read of the same bytes on two
// threads; this form reads them as fast (runtime/cpu's BenchmarkLinearDecode).

// Q8ROWS_ARGS loads the arguments every kernel here takes: rows left in R11, the row at
// SI (ldw bytes apart, R8), q at BX, the row scales at R9, y at R13, off broadcast into
// offx.
#define Q8ROWS_ARGS(offx) \
	MOVQ         n+0(FP), R11; \
	MOVQ         w+16(FP), SI; \
	MOVQ         ldw+24(FP), R8; \
	MOVQ         q+32(FP), BX; \
	MOVQ         scales+48(FP), R9; \
	VBROADCASTSS off+56(FP), offx; \
	MOVQ         y+64(FP), R13

// func gemvQ8RowsVNNI(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)
// VPDPBUSD multiplies unsigned by signed bytes, so the weights go in as w XOR 0x80 =
// w+128 (unsigned) against the signed activations; off is the 128·Σ s·q this adds (the
// same for every row). Four blocks per step into four accumulators.
#define Q8BLOCK_VNNI(off, soff, acc, t, sc, f) \
	VPXORD       off(SI)(DX*1), Z28, t; \
	VPXORD       acc, acc, acc; \
	VPDPBUSD     off(BX)(DX*1), t, acc; \
	VCVTDQ2PS    acc, acc; \
	VBROADCASTSS soff(R10), sc; \
	VFMADD231PS  sc, acc, f

TEXT ·gemvQ8RowsVNNI(SB), NOSPLIT, $0-72
	Q8ROWS_ARGS(X27)
	MOVL         $0x80808080, AX
	VPBROADCASTD AX, Z28
	TESTQ        R11, R11
	JZ           q8vnni_done

q8vnni_row:
	MOVQ   nb+8(FP), CX
	MOVQ   s+40(FP), R10
	XORQ   DX, DX
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	CMPQ   CX, $4
	JLT    q8vnni_one

q8vnni_four:
	Q8BLOCK_VNNI(0, 0, Z0, Z20, Z16, Z8)
	Q8BLOCK_VNNI(64, 4, Z1, Z21, Z17, Z9)
	Q8BLOCK_VNNI(128, 8, Z2, Z22, Z18, Z10)
	Q8BLOCK_VNNI(192, 12, Z3, Z23, Z19, Z11)
	ADDQ $256, DX
	ADDQ $16, R10
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  q8vnni_four

q8vnni_one:
	TESTQ CX, CX
	JZ    q8vnni_sum
	Q8BLOCK_VNNI(0, 0, Z0, Z20, Z16, Z8)
	ADDQ  $64, DX
	ADDQ  $4, R10
	DECQ  CX
	JMP   q8vnni_one

q8vnni_sum:
	VADDPS        Z9, Z8, Z8
	VADDPS        Z11, Z10, Z10
	VADDPS        Z10, Z8, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	HSUM_Y01
	VSUBSS        X27, X0, X0
	VMULSS        (R9), X0, X0
	VMOVSS        X0, (R13)
	ADDQ          R8, SI
	ADDQ          $4, R9
	ADDQ          $4, R13
	DECQ          R11
	JNZ           q8vnni_row

q8vnni_done:
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

// The end of a row for the AVX2 kernels: the lanes of Y0 + Y1 summed, off (X15)
// subtracted, times the row's scale, stored; on to the next row.
#define Q8ROW_END_Y(next) \
	HSUM_Y01; \
	VSUBSS X15, X0, X0; \
	VMULSS (R9), X0, X0; \
	VMOVSS X0, (R13); \
	ADDQ   R8, SI; \
	ADDQ   $4, R9; \
	ADDQ   $4, R13; \
	DECQ   R11; \
	JNZ    next

// func gemvQ8RowsAVX2(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)
TEXT ·gemvQ8RowsAVX2(SB), NOSPLIT, $0-72
	Q8ROWS_ARGS(X15)
	MOVL         $0x00010001, AX
	MOVD         AX, X11
	VPBROADCASTD X11, Y11
	TESTQ        R11, R11
	JZ           q8avx2_done

q8avx2_row:
	MOVQ   nb+8(FP), CX
	MOVQ   s+40(FP), R10
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
	Q8ROW_END_Y(q8avx2_row)

q8avx2_done:
	VZEROUPPER
	RET

// One block (64 values at off) of the row at SI with AVX-VNNI, into f with the block's
// scale at soff(R10): the weights as w XOR 0x80 = w+128 (unsigned, Y9 holds the 0x80s)
// against the signed activations, off correcting for it as in the AVX-512 kernel.
// Register numbers for the VEX encoding: acc, u0, u1, s0, s1.
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

// func gemvQ8RowsAVXVNNI(n, nb int, w *int8, ldw int, q *int8, s *float32, scales *float32, off float32, y *float32)
TEXT ·gemvQ8RowsAVXVNNI(SB), NOSPLIT, $0-72
	Q8ROWS_ARGS(X15)
	MOVL         $0x80808080, AX
	MOVD         AX, X9
	VPBROADCASTD X9, Y9
	TESTQ        R11, R11
	JZ           q8avxvnni_done

q8avxvnni_row:
	MOVQ   nb+8(FP), CX
	MOVQ   s+40(FP), R10
	XORQ   DX, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ   CX, $2
	JLT    q8avxvnni_one

q8avxvnni_two:
	Q8BLOCK_AVXVNNI(0, 32, 0, Y2, 2, Y14, 14, Y11, 11, Y12, 12, Y13, 13, Y3, Y0)
	Q8BLOCK_AVXVNNI(64, 96, 4, Y8, 8, Y6, 6, Y7, 7, Y4, 4, Y5, 5, Y10, Y1)
	ADDQ $128, DX
	ADDQ $8, R10
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q8avxvnni_two

q8avxvnni_one:
	TESTQ CX, CX
	JZ    q8avxvnni_sum
	Q8BLOCK_AVXVNNI(0, 32, 0, Y2, 2, Y14, 14, Y11, 11, Y12, 12, Y13, 13, Y3, Y0)

q8avxvnni_sum:
	Q8ROW_END_Y(q8avxvnni_row)

q8avxvnni_done:
	VZEROUPPER
	RET
