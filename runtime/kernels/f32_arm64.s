//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// fp32 kernels for NEON. Contracts in impl.go; lengths are multiples of 4.

// func dotNEON(n int, a, b *float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-28
	MOVD n+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $16, R0
	BLT  dot_one

dot_four:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V16.S4, V4.S4, V0.S4
	VFMLA  V17.S4, V5.S4, V1.S4
	VFMLA  V18.S4, V6.S4, V2.S4
	VFMLA  V19.S4, V7.S4, V3.S4
	SUB    $16, R0
	CMP    $16, R0
	BGE    dot_four

dot_one:
	CBZ    R0, dot_sum
	VLD1.P 16(R1), [V4.S4]
	VLD1.P 16(R2), [V16.S4]
	VFMLA  V16.S4, V4.S4, V0.S4
	SUB    $4, R0
	B      dot_one

dot_sum:
	FADD4S(0, 0, 1)
	FADD4S(2, 2, 3)
	FADD4S(0, 0, 2)
	FADDP4S(0, 0, 0)
	FADDP4S(0, 0, 0)
	FMOVS F0, ret+24(FP)
	RET

// func axpyNEON(n int, alpha float32, x, y *float32)
TEXT ·axpyNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	FMOVS alpha+8(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  x+16(FP), R1
	MOVD  y+24(FP), R2
	CMP   $16, R0
	BLT   axpy_one

axpy_four:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1   (R2), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V0.S4, V5.S4, V17.S4
	VFMLA  V0.S4, V6.S4, V18.S4
	VFMLA  V0.S4, V7.S4, V19.S4
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R2)
	SUB    $16, R0
	CMP    $16, R0
	BGE    axpy_four

axpy_one:
	CBZ    R0, axpy_done
	VLD1.P 16(R1), [V4.S4]
	VLD1   (R2), [V16.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VST1.P [V16.S4], 16(R2)
	SUB    $4, R0
	B      axpy_one

axpy_done:
	RET

// func scaleNEON(n int, alpha float32, x *float32)
TEXT ·scaleNEON(SB), NOSPLIT, $0-24
	MOVD  n+0(FP), R0
	FMOVS alpha+8(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  x+16(FP), R1
	CMP   $16, R0
	BLT   scale_one

scale_four:
	VLD1   (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4S(4, 4, 0)
	FMUL4S(5, 5, 0)
	FMUL4S(6, 6, 0)
	FMUL4S(7, 7, 0)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R1)
	SUB    $16, R0
	CMP    $16, R0
	BGE    scale_four

scale_one:
	CBZ    R0, scale_done
	VLD1   (R1), [V4.S4]
	FMUL4S(4, 4, 0)
	VST1.P [V4.S4], 16(R1)
	SUB    $4, R0
	B      scale_one

scale_done:
	RET

// func sdotTileNEON(k int, a, b *[4]*float32, out *[16]float32)
// out[i*4+j] = Σ a[i][p]·b[j][p], k a multiple of 4. acc(i, j) lives in V(4i+j).
TEXT ·sdotTileNEON(SB), NOSPLIT, $0-32
	MOVD k+0(FP), R0
	LSR  $2, R0, R0
	MOVD a+8(FP), R1
	MOVD 0(R1), R2
	MOVD 8(R1), R3
	MOVD 16(R1), R4
	MOVD 24(R1), R5
	MOVD b+16(FP), R1
	MOVD 0(R1), R6
	MOVD 8(R1), R7
	MOVD 16(R1), R8
	MOVD 24(R1), R9
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16

tile_loop:
	VLD1.P 16(R6), [V16.S4]
	VLD1.P 16(R7), [V17.S4]
	VLD1.P 16(R8), [V18.S4]
	VLD1.P 16(R9), [V19.S4]
	VLD1.P 16(R2), [V20.S4]
	VLD1.P 16(R3), [V21.S4]
	VLD1.P 16(R4), [V22.S4]
	VLD1.P 16(R5), [V23.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	VFMLA  V17.S4, V20.S4, V1.S4
	VFMLA  V18.S4, V20.S4, V2.S4
	VFMLA  V19.S4, V20.S4, V3.S4
	VFMLA  V16.S4, V21.S4, V4.S4
	VFMLA  V17.S4, V21.S4, V5.S4
	VFMLA  V18.S4, V21.S4, V6.S4
	VFMLA  V19.S4, V21.S4, V7.S4
	VFMLA  V16.S4, V22.S4, V8.S4
	VFMLA  V17.S4, V22.S4, V9.S4
	VFMLA  V18.S4, V22.S4, V10.S4
	VFMLA  V19.S4, V22.S4, V11.S4
	VFMLA  V16.S4, V23.S4, V12.S4
	VFMLA  V17.S4, V23.S4, V13.S4
	VFMLA  V18.S4, V23.S4, V14.S4
	VFMLA  V19.S4, V23.S4, V15.S4
	SUBS   $1, R0, R0
	BNE    tile_loop

	FREDUCE4(0, 0, 1, 2, 3, 16, 17)
	FREDUCE4(1, 4, 5, 6, 7, 16, 17)
	FREDUCE4(2, 8, 9, 10, 11, 16, 17)
	FREDUCE4(3, 12, 13, 14, 15, 16, 17)
	MOVD out+24(FP), R1
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R1)
	RET

// One k step for one row: load-replicate A[i][p] into x (arrangement .S4 given by
// the caller), four FMLAs against the panel's 16 values in V24..V27.
#define MICRO_ROW(ptr, x, c0, c1, c2, c3) \
	VLD1R.P 4(ptr), [x]; \
	VFMLA   V24.S4, x, c0; \
	VFMLA   V25.S4, x, c1; \
	VFMLA   V26.S4, x, c2; \
	VFMLA   V27.S4, x, c3

// func sgemmMicroNEON(kc int, a *float32, lda int, b *float32, c *float32, ldc int, load bool)
// C[6×16] (= or +=) A[6×kc]·P, P = kc rows of 16 floats. Row i of C lives in V(4i..4i+3).
TEXT ·sgemmMicroNEON(SB), NOSPLIT, $0-49
	MOVD  kc+0(FP), R0
	MOVD  a+8(FP), R1
	MOVD  lda+16(FP), R2
	LSL   $2, R2, R2
	ADD   R2, R1, R3
	ADD   R2, R3, R4
	ADD   R2, R4, R5
	ADD   R2, R5, R6
	ADD   R2, R6, R7
	MOVD  b+24(FP), R8
	MOVD  c+32(FP), R9
	MOVD  ldc+40(FP), R10
	LSL   $2, R10, R10
	MOVBU load+48(FP), R11
	CBZ   R11, micro_zero
	MOVD  R9, R12
	VLD1  (R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD   R10, R12, R12
	VLD1  (R12), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD   R10, R12, R12
	VLD1  (R12), [V8.S4, V9.S4, V10.S4, V11.S4]
	ADD   R10, R12, R12
	VLD1  (R12), [V12.S4, V13.S4, V14.S4, V15.S4]
	ADD   R10, R12, R12
	VLD1  (R12), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD   R10, R12, R12
	VLD1  (R12), [V20.S4, V21.S4, V22.S4, V23.S4]
	B     micro_check

micro_zero:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

micro_check:
	CBZ R0, micro_store

micro_loop:
	VLD1.P 64(R8), [V24.S4, V25.S4, V26.S4, V27.S4]
	MICRO_ROW(R1, V28.S4, V0.S4, V1.S4, V2.S4, V3.S4)
	MICRO_ROW(R3, V29.S4, V4.S4, V5.S4, V6.S4, V7.S4)
	MICRO_ROW(R4, V30.S4, V8.S4, V9.S4, V10.S4, V11.S4)
	MICRO_ROW(R5, V31.S4, V12.S4, V13.S4, V14.S4, V15.S4)
	MICRO_ROW(R6, V28.S4, V16.S4, V17.S4, V18.S4, V19.S4)
	MICRO_ROW(R7, V29.S4, V20.S4, V21.S4, V22.S4, V23.S4)
	SUBS   $1, R0, R0
	BNE    micro_loop

micro_store:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R9)
	ADD  R10, R9, R9
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R9)
	ADD  R10, R9, R9
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R9)
	ADD  R10, R9, R9
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R9)
	ADD  R10, R9, R9
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R9)
	ADD  R10, R9, R9
	VST1 [V20.S4, V21.S4, V22.S4, V23.S4], (R9)
	RET
