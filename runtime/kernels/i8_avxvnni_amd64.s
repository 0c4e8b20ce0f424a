//go:build !purego

#include "textflag.h"

// The int8 micro-kernel for AVX2 CPUs with AVX-VNNI (Intel Alder Lake and later
// client cores, e.g. the N100): the AVX-512 VNNI kernel's arithmetic on 256-bit
// vectors, C[6×16] from panels of 16 columns × 4 bytes.

// VPDPBUSD ymm(acc), ymm(u), ymm(s) in its VEX form (AVX-VNNI): acc += Σ of the four
// products u8(u)·s8(s) in each 32-bit lane. The Go assembler encodes only the EVEX
// form (AVX-512 VL), which a CPU without AVX-512 cannot run. Registers 0..15.
#define VPDPBUSD_VEX(acc, u, s) \
	BYTE $0xC4; \
	BYTE $(0x42 | ((1-((acc)>>3))<<7) | ((1-((s)>>3))<<5)); \
	BYTE $(0x05 | ((15-(u))<<3)); \
	BYTE $0x50; \
	BYTE $(0xC0 | (((acc)&7)<<3) | ((s)&7))

// One quad step for one row: broadcast 4 signed bytes of A into Y14, multiply with
// the unsigned (offset) bytes of B in Y12 and Y13.
#define AVXVNNI_ROW(addr, c0, c1) \
	VPBROADCASTD addr, Y14; \
	VPDPBUSD_VEX(c0, 12, 14); \
	VPDPBUSD_VEX(c1, 13, 14)

#define AVXVNNI_BIAS(off, c0, c1) \
	VPBROADCASTD off(AX), c0; \
	VMOVDQA      c0, c1

// func i8MicroAVXVNNI(kq int, a *int8, lda int, b *uint8, c *int32, ldc int, bias *int32, load bool)
// C[6×16] = (load ? C : bias[row]) + Σ over kq quads of A·(B+128), B packed as kq
// groups of 16 columns × 4 bytes.
TEXT ·i8MicroAVXVNNI(SB), NOSPLIT, $0-57
	MOVQ    kq+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    lda+16(FP), R8
	LEAQ    (R8)(R8*2), R9
	LEAQ    (SI)(R8*4), R10
	MOVQ    b+24(FP), DI
	MOVQ    c+32(FP), DX
	MOVQ    ldc+40(FP), R12
	SHLQ    $2, R12
	LEAQ    (R12)(R12*2), R13
	LEAQ    (DX)(R12*4), R14
	MOVBLZX load+56(FP), AX
	TESTQ   AX, AX
	JZ      avxvnni_bias
	VMOVDQU (DX), Y0
	VMOVDQU 32(DX), Y1
	VMOVDQU (DX)(R12*1), Y2
	VMOVDQU 32(DX)(R12*1), Y3
	VMOVDQU (DX)(R12*2), Y4
	VMOVDQU 32(DX)(R12*2), Y5
	VMOVDQU (DX)(R13*1), Y6
	VMOVDQU 32(DX)(R13*1), Y7
	VMOVDQU (R14), Y8
	VMOVDQU 32(R14), Y9
	VMOVDQU (R14)(R12*1), Y10
	VMOVDQU 32(R14)(R12*1), Y11
	JMP     avxvnni_check

avxvnni_bias:
	MOVQ bias+48(FP), AX
	AVXVNNI_BIAS(0, Y0, Y1)
	AVXVNNI_BIAS(4, Y2, Y3)
	AVXVNNI_BIAS(8, Y4, Y5)
	AVXVNNI_BIAS(12, Y6, Y7)
	AVXVNNI_BIAS(16, Y8, Y9)
	AVXVNNI_BIAS(20, Y10, Y11)

avxvnni_check:
	TESTQ CX, CX
	JZ    avxvnni_store

avxvnni_loop:
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	AVXVNNI_ROW((SI), 0, 1)
	AVXVNNI_ROW((SI)(R8*1), 2, 3)
	AVXVNNI_ROW((SI)(R8*2), 4, 5)
	AVXVNNI_ROW((SI)(R9*1), 6, 7)
	AVXVNNI_ROW((R10), 8, 9)
	AVXVNNI_ROW((R10)(R8*1), 10, 11)
	ADDQ    $4, SI
	ADDQ    $4, R10
	ADDQ    $64, DI
	DECQ    CX
	JNZ     avxvnni_loop

avxvnni_store:
	VMOVDQU Y0, (DX)
	VMOVDQU Y1, 32(DX)
	VMOVDQU Y2, (DX)(R12*1)
	VMOVDQU Y3, 32(DX)(R12*1)
	VMOVDQU Y4, (DX)(R12*2)
	VMOVDQU Y5, 32(DX)(R12*2)
	VMOVDQU Y6, (DX)(R13*1)
	VMOVDQU Y7, 32(DX)(R13*1)
	VMOVDQU Y8, (R14)
	VMOVDQU Y9, 32(R14)
	VMOVDQU Y10, (R14)(R12*1)
	VMOVDQU Y11, 32(R14)(R12*1)
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
	VPERM2F128   $0x20, Y1, Y0, Y4
	VPERM2F128   $0x31, Y1, Y0, Y5
	VADDPS       Y5, Y4, Y0
	VPERM2F128   $0x20, Y3, Y2, Y4
	VPERM2F128   $0x31, Y3, Y2, Y5
	VADDPS       Y5, Y4, Y2
	VHADDPS      Y2, Y0, Y0
	VHADDPS      Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VUNPCKLPS    X1, X0, X0
	MOVQ         out+32(FP), AX
	VMOVUPS      X0, (AX)
	VZEROUPPER
	RET
