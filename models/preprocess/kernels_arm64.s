#include "textflag.h"

// See kernels_arm64.go and kernels_amd64.s: the same int32 sums.
// Instructions Go's assembler lacks are written as WORDs:
//   MLA   Vd.4S, Vn.4S, Vm.4S  0x4EA09400 | m<<16 | n<<5 | d
//   SQSHRUN  Vd.4H, Vn.4S, #16  0x2F108400 | n<<5 | d (SQSHRUN2 .8H: 0x6F108400)
//   UQSHRN   Vd.8B, Vn.8H, #6   0x2F0A9400 | n<<5 | d (UQSHRN2 .16B: 0x6F0A9400)
// SQSHRUN #16 then UQSHRN #6 is clamp(s>>22, 0, 255): a negative sum gives
// 0 at the first step, and s>>16 of a positive int32 fits 16 bits.

// func hNEON(o, row *uint8, lo *int32, kx *int32, out, groups int)
TEXT ·hNEON(SB), NOSPLIT, $0-48
	MOVD o+0(FP), R0
	MOVD row+8(FP), R1
	MOVD lo+16(FP), R2
	MOVD kx+24(FP), R3
	MOVD out+32(FP), R4
	MOVD groups+40(FP), R5
	MOVW $0x200000, R6
	VDUP R6, V31.S4

hpix:
	MOVWU.P 4(R2), R7
	ADD R7<<1, R7, R7
	ADD R1, R7, R7
	MOVD R5, R9
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16

hgrp:
	FMOVD (R7), F2
	ADD $6, R7
	VLD1.P 32(R3), [V4.S4, V5.S4]
	VUXTL V2.B8, V2.H8
	VUXTL V2.H4, V16.S4
	VUXTL2 V2.H8, V17.S4
	WORD $0x4EA49600 // MLA V0.4S, V16.4S, V4.4S
	WORD $0x4EA59621 // MLA V1.4S, V17.4S, V5.4S
	SUBS $1, R9, R9
	BNE hgrp

	// Lanes R0 G0 B0 R1 | G1 B1 0 0: add R1 G1 B1 down onto lanes 0..2.
	VEXT $12, V1.B16, V0.B16, V2.B16
	VADD V2.S4, V0.S4, V0.S4
	VADD V31.S4, V0.S4, V0.S4
	WORD $0x2F108403 // SQSHRUN V3.4H, V0.4S, #16
	WORD $0x2F0A9463 // UQSHRN V3.8B, V3.8H, #6
	VMOV V3.S[0], R8
	MOVH R8, (R0)
	LSR $16, R8, R8
	MOVB R8, 2(R0)
	ADD $3, R0
	SUBS $1, R4, R4
	BNE hpix
	RET

// func vNEON(o, rows *uint8, k *int32, n, stride, cols int)
TEXT ·vNEON(SB), NOSPLIT, $0-48
	MOVD o+0(FP), R0
	MOVD rows+8(FP), R1
	MOVD k+16(FP), R2
	MOVD n+24(FP), R3
	MOVD stride+32(FP), R4
	MOVD cols+40(FP), R5
	MOVW $0x200000, R6
	VDUP R6, V31.S4

vblk:
	VORR V31.B16, V31.B16, V0.B16
	VORR V31.B16, V31.B16, V1.B16
	VORR V31.B16, V31.B16, V2.B16
	VORR V31.B16, V31.B16, V3.B16
	MOVD R1, R7
	MOVD R2, R8
	MOVD R3, R9

vtap:
	VLD1R.P 4(R8), [V4.S4]
	VLD1 (R7), [V5.B16]
	ADD R4, R7
	VUXTL V5.B8, V6.H8
	VUXTL2 V5.B16, V7.H8
	VUXTL V6.H4, V16.S4
	VUXTL2 V6.H8, V17.S4
	VUXTL V7.H4, V18.S4
	VUXTL2 V7.H8, V19.S4
	WORD $0x4EA49600 // MLA V0.4S, V16.4S, V4.4S
	WORD $0x4EA49621 // MLA V1.4S, V17.4S, V4.4S
	WORD $0x4EA49642 // MLA V2.4S, V18.4S, V4.4S
	WORD $0x4EA49663 // MLA V3.4S, V19.4S, V4.4S
	SUBS $1, R9, R9
	BNE vtap

	WORD $0x2F108414 // SQSHRUN V20.4H, V0.4S, #16
	WORD $0x6F108434 // SQSHRUN2 V20.8H, V1.4S, #16
	WORD $0x2F108455 // SQSHRUN V21.4H, V2.4S, #16
	WORD $0x6F108475 // SQSHRUN2 V21.8H, V3.4S, #16
	WORD $0x2F0A9696 // UQSHRN V22.8B, V20.8H, #6
	WORD $0x6F0A96B6 // UQSHRN2 V22.16B, V21.8H, #6
	VST1.P [V22.B16], 16(R0)
	ADD $16, R1
	SUBS $16, R5, R5
	BNE vblk
	RET

// func rgbxNEON(dst, src *uint8, n int, premultiplied bool) int
TEXT ·rgbxNEON(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	MOVBU premultiplied+24(FP), R3
	MOVD $0, R4

xloop:
	SUB R4, R2, R5
	CMP $16, R5
	BLT xdone
	VLD4 (R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	CBZ R3, xconv
	VMOV V3.D[0], R6
	VMOV V3.D[1], R7
	AND R6, R7, R6
	CMN $1, R6
	BNE xdone

xconv:
	VST3.P [V0.B16, V1.B16, V2.B16], 48(R0)
	ADD $64, R1
	ADD $16, R4
	B xloop

xdone:
	MOVD R4, ret+32(FP)
	RET
