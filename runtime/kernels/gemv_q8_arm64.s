//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// int8 weights × block-quantized int8 activations (Q8) for NEON: per block of 64
// values, each of four weight rows' int32 sum of products, converted to float and
// accumulated with the block's scale. nb whole blocks; the Go driver does the tail.
// The activation block stays in V16..V19; V24 holds the block's scale.

// 64 weights of a row (in V25..V28) against q in V(q0)..V(q0+3), into int32 acc d:
// SDOT where the CPU has it, else SMULL/SMULL2 (exact int16) and SADALP.
#define Q8DOT64_SDOT(d, q0) \
	SDOT16B(d, 25, q0); \
	SDOT16B(d, 26, q0+1); \
	SDOT16B(d, 27, q0+2); \
	SDOT16B(d, 28, q0+3)

#define Q8MUL16(d, w, q) \
	SMULL8H(29, w, q); \
	SMULL28H(30, w, q); \
	SADALP4S(d, 29); \
	SADALP4S(d, 30)

#define Q8DOT64_NEON(d, q0) \
	Q8MUL16(d, 25, q0); \
	Q8MUL16(d, 26, q0+1); \
	Q8MUL16(d, 27, q0+2); \
	Q8MUL16(d, 28, q0+3)

#define Q8ROW(DOT, row, d, f) \
	VLD1.P 64(row), [V25.B16, V26.B16, V27.B16, V28.B16]; \
	DOT(d, 16); \
	SCVTF4S(d, d); \
	FMLA4S(f, d, 24); \
	AND16B(d, d, 31)

#define Q8PROLOGUE \
	MOVD nb+0(FP), R0; \
	MOVD w+8(FP), R1; \
	MOVD 0(R1), R2; \
	MOVD 8(R1), R3; \
	MOVD 16(R1), R4; \
	MOVD 24(R1), R5; \
	MOVD q+16(FP), R6; \
	MOVD s+24(FP), R7; \
	VEOR V0.B16, V0.B16, V0.B16; \
	VEOR V1.B16, V1.B16, V1.B16; \
	VEOR V2.B16, V2.B16, V2.B16; \
	VEOR V3.B16, V3.B16, V3.B16; \
	VEOR V4.B16, V4.B16, V4.B16; \
	VEOR V5.B16, V5.B16, V5.B16; \
	VEOR V6.B16, V6.B16, V6.B16; \
	VEOR V7.B16, V7.B16, V7.B16; \
	VEOR V31.B16, V31.B16, V31.B16

#define Q8BLOCK(DOT) \
	VLD1.P 64(R6), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VLD1R  (R7), [V24.S4]; \
	ADD    $4, R7; \
	Q8ROW(DOT, R2, 0, 4); \
	Q8ROW(DOT, R3, 1, 5); \
	Q8ROW(DOT, R4, 2, 6); \
	Q8ROW(DOT, R5, 3, 7)

#define Q8EPILOGUE \
	FREDUCE4(0, 4, 5, 6, 7, 16, 17); \
	MOVD out+32(FP), R1; \
	VST1 [V0.S4], (R1); \
	RET

// func gemvQ8TileSDOT(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
TEXT ·gemvQ8TileSDOT(SB), NOSPLIT, $0-40
	Q8PROLOGUE

q8sdot_loop:
	Q8BLOCK(Q8DOT64_SDOT)
	SUBS $1, R0, R0
	BNE  q8sdot_loop
	Q8EPILOGUE

// func gemvQ8TileNEON(nb int, w *[4]*int8, q *int8, s *float32, out *[4]float32)
TEXT ·gemvQ8TileNEON(SB), NOSPLIT, $0-40
	Q8PROLOGUE

q8neon_loop:
	Q8BLOCK(Q8DOT64_NEON)
	SUBS $1, R0, R0
	BNE  q8neon_loop
	Q8EPILOGUE
