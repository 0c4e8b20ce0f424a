#include "textflag.h"

// See kernels_amd64.go. Every kernel computes PIL's sums exactly: bytes
// widened to int32, times int32 coefficients, summed in int32 from the
// rounding offset 1<<21, shifted right by 22 and clamped to 0..255.

// hAVX2's fold: lanes R0 G0 B0 R1 G1 B1 0 0 to R0 G0 B0 0 | R1 G1 B1 0.
DATA hperm8<>+0(SB)/4, $0
DATA hperm8<>+4(SB)/4, $1
DATA hperm8<>+8(SB)/4, $2
DATA hperm8<>+12(SB)/4, $7
DATA hperm8<>+16(SB)/4, $3
DATA hperm8<>+20(SB)/4, $4
DATA hperm8<>+24(SB)/4, $5
DATA hperm8<>+28(SB)/4, $7
GLOBL hperm8<>(SB), RODATA|NOPTR, $32

// hAVX512's fold: five pixels' lanes to R G B 0 in four 128-bit lanes
// (pixels 0..3); pixel 4 (lanes 12..14) is rotated down separately.
DATA hperm16<>+0(SB)/4, $0
DATA hperm16<>+4(SB)/4, $1
DATA hperm16<>+8(SB)/4, $2
DATA hperm16<>+12(SB)/4, $15
DATA hperm16<>+16(SB)/4, $3
DATA hperm16<>+20(SB)/4, $4
DATA hperm16<>+24(SB)/4, $5
DATA hperm16<>+28(SB)/4, $15
DATA hperm16<>+32(SB)/4, $6
DATA hperm16<>+36(SB)/4, $7
DATA hperm16<>+40(SB)/4, $8
DATA hperm16<>+44(SB)/4, $15
DATA hperm16<>+48(SB)/4, $9
DATA hperm16<>+52(SB)/4, $10
DATA hperm16<>+56(SB)/4, $11
DATA hperm16<>+60(SB)/4, $15
GLOBL hperm16<>(SB), RODATA|NOPTR, $64

// vAVX2's order after the packs: dwords a0-3 b0-3 c0-3 d0-3 a4-7 ... to a0-7 b0-7 ...
DATA vperm8<>+0(SB)/4, $0
DATA vperm8<>+4(SB)/4, $4
DATA vperm8<>+8(SB)/4, $1
DATA vperm8<>+12(SB)/4, $5
DATA vperm8<>+16(SB)/4, $2
DATA vperm8<>+20(SB)/4, $6
DATA vperm8<>+24(SB)/4, $3
DATA vperm8<>+28(SB)/4, $7
GLOBL vperm8<>(SB), RODATA|NOPTR, $32

// rgbxAVX2: drop every fourth byte in each 128-bit lane, then join the lanes' 12 bytes.
DATA rgbxshuf<>+0(SB)/8, $0x0908060504020100
DATA rgbxshuf<>+8(SB)/8, $0x808080800e0d0c0a
DATA rgbxshuf<>+16(SB)/8, $0x0908060504020100
DATA rgbxshuf<>+24(SB)/8, $0x808080800e0d0c0a
GLOBL rgbxshuf<>(SB), RODATA|NOPTR, $32

DATA rgbxperm<>+0(SB)/4, $0
DATA rgbxperm<>+4(SB)/4, $1
DATA rgbxperm<>+8(SB)/4, $2
DATA rgbxperm<>+12(SB)/4, $4
DATA rgbxperm<>+16(SB)/4, $5
DATA rgbxperm<>+20(SB)/4, $6
DATA rgbxperm<>+24(SB)/4, $3
DATA rgbxperm<>+28(SB)/4, $7
GLOBL rgbxperm<>(SB), RODATA|NOPTR, $32

DATA alphamask<>+0(SB)/8, $0xff000000ff000000
DATA alphamask<>+8(SB)/8, $0xff000000ff000000
DATA alphamask<>+16(SB)/8, $0xff000000ff000000
DATA alphamask<>+24(SB)/8, $0xff000000ff000000
GLOBL alphamask<>(SB), RODATA|NOPTR, $32

// func hAVX2(o, row *uint8, lo *int32, kx *int32, out, groups int)
TEXT ·hAVX2(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ lo+16(FP), BX
	MOVQ kx+24(FP), DX
	MOVQ out+32(FP), CX
	MOVQ groups+40(FP), R8
	VMOVDQU hperm8<>(SB), Y15
	MOVL $0x200000, AX
	VMOVD AX, X14
	VPBROADCASTD X14, X14

hpix2:
	MOVLQSX (BX), R10
	LEAQ (R10)(R10*2), R10
	ADDQ SI, R10
	MOVQ R8, R11
	VPXOR Y0, Y0, Y0

hgrp2:
	VPMOVZXBD (R10), Y1
	VPMULLD (DX), Y1, Y1
	VPADDD Y1, Y0, Y0
	ADDQ $6, R10
	ADDQ $32, DX
	DECQ R11
	JNZ hgrp2

	VPERMD Y0, Y15, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPADDD X14, X0, X0
	VPSRAD $22, X0, X0
	VPACKSSDW X0, X0, X0
	VPACKUSWB X0, X0, X0
	VMOVD X0, AX
	MOVW AX, (DI)
	SHRL $16, AX
	MOVB AX, 2(DI)
	ADDQ $3, DI
	ADDQ $4, BX
	DECQ CX
	JNZ hpix2
	VZEROUPPER
	RET

// func hAVX512(o, row *uint8, lo *int32, kx *int32, out, groups int)
TEXT ·hAVX512(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ lo+16(FP), BX
	MOVQ kx+24(FP), DX
	MOVQ out+32(FP), CX
	MOVQ groups+40(FP), R8
	VMOVDQU32 hperm16<>(SB), Z15
	MOVL $0x200000, AX
	VMOVD AX, X14
	VPBROADCASTD X14, X14

hpix5:
	MOVLQSX (BX), R10
	LEAQ (R10)(R10*2), R10
	ADDQ SI, R10
	MOVQ R8, R11
	VPXORD Z0, Z0, Z0

hgrp5:
	VPMOVZXBD (R10), Z1
	VPMULLD (DX), Z1, Z1
	VPADDD Z1, Z0, Z0
	ADDQ $15, R10
	ADDQ $64, DX
	DECQ R11
	JNZ hgrp5

	VPERMD Z0, Z15, Z2
	VALIGND $12, Z0, Z0, Z3
	VEXTRACTI64X4 $1, Z2, Y4
	VPADDD Y4, Y2, Y2
	VEXTRACTI128 $1, Y2, X4
	VPADDD X4, X2, X2
	VPADDD X3, X2, X2
	VPADDD X14, X2, X2
	VPSRAD $22, X2, X2
	VPACKSSDW X2, X2, X2
	VPACKUSWB X2, X2, X2
	VMOVD X2, AX
	MOVW AX, (DI)
	SHRL $16, AX
	MOVB AX, 2(DI)
	ADDQ $3, DI
	ADDQ $4, BX
	DECQ CX
	JNZ hpix5
	VZEROUPPER
	RET

// func vAVX2(o, rows *uint8, k *int32, n, stride, cols int)
TEXT ·vAVX2(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ rows+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ stride+32(FP), R8
	MOVQ cols+40(FP), R9
	VMOVDQU vperm8<>(SB), Y15
	MOVL $0x200000, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14

vblk32:
	VMOVDQA Y14, Y0
	VMOVDQA Y14, Y1
	VMOVDQA Y14, Y2
	VMOVDQA Y14, Y3
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ CX, R12

vtap32:
	VPBROADCASTD (R11), Y4
	VPMOVZXBD (R10), Y5
	VPMOVZXBD 8(R10), Y6
	VPMOVZXBD 16(R10), Y7
	VPMOVZXBD 24(R10), Y8
	VPMULLD Y4, Y5, Y5
	VPMULLD Y4, Y6, Y6
	VPMULLD Y4, Y7, Y7
	VPMULLD Y4, Y8, Y8
	VPADDD Y5, Y0, Y0
	VPADDD Y6, Y1, Y1
	VPADDD Y7, Y2, Y2
	VPADDD Y8, Y3, Y3
	ADDQ R8, R10
	ADDQ $4, R11
	DECQ R12
	JNZ vtap32

	VPSRAD $22, Y0, Y0
	VPSRAD $22, Y1, Y1
	VPSRAD $22, Y2, Y2
	VPSRAD $22, Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD Y0, Y15, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $32, R9
	JNZ vblk32
	VZEROUPPER
	RET

// func vAVX512(o, rows *uint8, k *int32, n, stride, cols int)
TEXT ·vAVX512(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ rows+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ stride+32(FP), R8
	MOVQ cols+40(FP), R9
	MOVL $0x200000, AX
	VPBROADCASTD AX, Z14
	VPXORD Z13, Z13, Z13

vblk64:
	CMPQ R9, $64
	JLT vblk16
	VMOVDQA32 Z14, Z0
	VMOVDQA32 Z14, Z1
	VMOVDQA32 Z14, Z2
	VMOVDQA32 Z14, Z3
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ CX, R12

vtap64:
	VPBROADCASTD (R11), Z4
	VPMOVZXBD (R10), Z5
	VPMOVZXBD 16(R10), Z6
	VPMOVZXBD 32(R10), Z7
	VPMOVZXBD 48(R10), Z8
	VPMULLD Z4, Z5, Z5
	VPMULLD Z4, Z6, Z6
	VPMULLD Z4, Z7, Z7
	VPMULLD Z4, Z8, Z8
	VPADDD Z5, Z0, Z0
	VPADDD Z6, Z1, Z1
	VPADDD Z7, Z2, Z2
	VPADDD Z8, Z3, Z3
	ADDQ R8, R10
	ADDQ $4, R11
	DECQ R12
	JNZ vtap64

	VPSRAD $22, Z0, Z0
	VPSRAD $22, Z1, Z1
	VPSRAD $22, Z2, Z2
	VPSRAD $22, Z3, Z3
	VPMAXSD Z13, Z0, Z0
	VPMAXSD Z13, Z1, Z1
	VPMAXSD Z13, Z2, Z2
	VPMAXSD Z13, Z3, Z3
	VPMOVUSDB Z0, (DI)
	VPMOVUSDB Z1, 16(DI)
	VPMOVUSDB Z2, 32(DI)
	VPMOVUSDB Z3, 48(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, R9
	JMP vblk64

vblk16:
	CMPQ R9, $16
	JLT vdone
	VMOVDQA32 Z14, Z0
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ CX, R12

vtap16:
	VPBROADCASTD (R11), Z4
	VPMOVZXBD (R10), Z5
	VPMULLD Z4, Z5, Z5
	VPADDD Z5, Z0, Z0
	ADDQ R8, R10
	ADDQ $4, R11
	DECQ R12
	JNZ vtap16

	VPSRAD $22, Z0, Z0
	VPMAXSD Z13, Z0, Z0
	VPMOVUSDB Z0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, R9
	JMP vblk16

vdone:
	VZEROUPPER
	RET

// func rgbxAVX2(dst, src *uint8, n int, premultiplied bool) int
TEXT ·rgbxAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVBLZX premultiplied+24(FP), R8
	XORQ AX, AX
	VMOVDQU rgbxshuf<>(SB), Y15
	VMOVDQU rgbxperm<>(SB), Y14
	VMOVDQU alphamask<>(SB), Y13

xloop:
	MOVQ CX, R9
	SUBQ AX, R9
	CMPQ R9, $11
	JLT xdone
	VMOVDQU (SI), Y0
	TESTQ R8, R8
	JZ xconv
	VPAND Y13, Y0, Y1
	VPCMPEQD Y13, Y1, Y1
	VPMOVMSKB Y1, R9
	CMPL R9, $-1
	JNE xdone

xconv:
	VPSHUFB Y15, Y0, Y0
	VPERMD Y0, Y14, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $24, DI
	ADDQ $8, AX
	JMP xloop

xdone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET
