// Encodings of the NEON instructions the Go assembler does not know, checked
// against GNU as (aarch64-linux-gnu-as -march=armv8.2-a+dotprod). Arguments are
// register numbers: d destination, n and m sources.

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD4S(d, n, m) WORD $(0x4e20d400 | ((m)<<16) | ((n)<<5) | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise: [n0+n1, n2+n3, m0+m1, m2+m3])
#define FADDP4S(d, n, m) WORD $(0x6e20d400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL4S(d, n, m) WORD $(0x6e20dc00 | ((m)<<16) | ((n)<<5) | (d))
// FABS Vd.4S, Vn.4S
#define FABS4S(d, n) WORD $(0x4ea0f800 | ((n)<<5) | (d))
// FMAXNM Vd.4S, Vn.4S, Vm.4S (a quiet NaN operand loses)
#define FMAXNM4S(d, n, m) WORD $(0x4e20c400 | ((m)<<16) | ((n)<<5) | (d))
// FMAXNMV Sd, Vn.4S
#define FMAXNMV4S(d, n) WORD $(0x6e30c800 | ((n)<<5) | (d))
// FCVTAS Vd.4S, Vn.4S (round to nearest, ties away from zero; NaN → 0; saturating)
#define FCVTAS4S(d, n) WORD $(0x4e21c800 | ((n)<<5) | (d))
// SCVTF Vd.4S, Vn.4S
#define SCVTF4S(d, n) WORD $(0x4e21d800 | ((n)<<5) | (d))
// SQXTN Vd.4H, Vn.4S and SQXTN2 Vd.8H, Vn.4S (saturating narrow)
#define SQXTN4H(d, n) WORD $(0x0e614800 | ((n)<<5) | (d))
#define SQXTN28H(d, n) WORD $(0x4e614800 | ((n)<<5) | (d))
// SQXTN Vd.8B, Vn.8H and SQXTN2 Vd.16B, Vn.8H
#define SQXTN8B(d, n) WORD $(0x0e214800 | ((n)<<5) | (d))
#define SQXTN216B(d, n) WORD $(0x4e214800 | ((n)<<5) | (d))
// SMAX Vd.16B, Vn.16B, Vm.16B
#define SMAX16B(d, n, m) WORD $(0x4e206400 | ((m)<<16) | ((n)<<5) | (d))
// SXTL Vd.8H, Vn.8B / SXTL2 Vd.8H, Vn.16B / SXTL Vd.4S, Vn.4H / SXTL2 Vd.4S, Vn.8H
#define SXTL8H(d, n) WORD $(0x0f08a400 | ((n)<<5) | (d))
#define SXTL28H(d, n) WORD $(0x4f08a400 | ((n)<<5) | (d))
#define SXTL4S(d, n) WORD $(0x0f10a400 | ((n)<<5) | (d))
#define SXTL24S(d, n) WORD $(0x4f10a400 | ((n)<<5) | (d))
// ADDP Vd.4S, Vn.4S, Vm.4S (integer pairwise)
#define ADDP4S(d, n, m) WORD $(0x4ea0bc00 | ((m)<<16) | ((n)<<5) | (d))
// SDOT Vd.4S, Vn.16B, Vm.16B (ARMv8.2 dot product: 4 int8 products per int32 lane)
#define SDOT16B(d, n, m) WORD $(0x4e809400 | ((m)<<16) | ((n)<<5) | (d))
// SMULL Vd.8H, Vn.8B, Vm.8B and SMULL2 Vd.8H, Vn.16B, Vm.16B (int8·int8 → int16, exact)
#define SMULL8H(d, n, m) WORD $(0x0e20c000 | ((m)<<16) | ((n)<<5) | (d))
#define SMULL28H(d, n, m) WORD $(0x4e20c000 | ((m)<<16) | ((n)<<5) | (d))
// SADALP Vd.4S, Vn.8H (add pairs of int16 into the int32 lanes)
#define SADALP4S(d, n) WORD $(0x4e606800 | ((n)<<5) | (d))

// FSUB Vd.4S, Vn.4S, Vm.4S (d = n − m)
#define FSUB4S(d, n, m) WORD $(0x4ea0d400 | ((m)<<16) | ((n)<<5) | (d))
// FDIV Vd.4S, Vn.4S, Vm.4S (d = n / m)
#define FDIV4S(d, n, m) WORD $(0x6e20fc00 | ((m)<<16) | ((n)<<5) | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S (d += n·m, fused) and FMLS (d −= n·m)
#define FMLA4S(d, n, m) WORD $(0x4e20cc00 | ((m)<<16) | ((n)<<5) | (d))
#define FMLS4S(d, n, m) WORD $(0x4ea0cc00 | ((m)<<16) | ((n)<<5) | (d))
// FMAX Vd.4S, Vn.4S, Vm.4S (NaN if either is NaN)
#define FMAX4S(d, n, m) WORD $(0x4e20f400 | ((m)<<16) | ((n)<<5) | (d))
// FMIN Vd.4S, Vn.4S, Vm.4S (NaN if either is NaN)
#define FMIN4S(d, n, m) WORD $(0x4ea0f400 | ((m)<<16) | ((n)<<5) | (d))
// FCMGE Vd.4S, Vn.4S, Vm.4S (all ones where n ≥ m; 0 where either is NaN)
#define FCMGE4S(d, n, m) WORD $(0x6e20e400 | ((m)<<16) | ((n)<<5) | (d))
// FRECPE Vd.4S, Vn.4S (1/n to 8 bits) and FRECPS Vd.4S, Vn.4S, Vm.4S (d = 2 − n·m,
// and 2 for 0·Inf: the Newton step of the reciprocal)
#define FRECPE4S(d, n) WORD $(0x4ea1d800 | ((n)<<5) | (d))
#define FRECPS4S(d, n, m) WORD $(0x4e20fc00 | ((m)<<16) | ((n)<<5) | (d))
// ADD Vd.4S, Vn.4S, Vm.4S (integer)
#define ADD4S(d, n, m) WORD $(0x4ea08400 | ((m)<<16) | ((n)<<5) | (d))
// SHL Vd.4S, Vn.4S, #23 (into a float's exponent field)
#define SHL4S23(d, n) WORD $(0x4f375400 | ((n)<<5) | (d))
// SSHR Vd.4S, Vn.4S, #31 (all ones where the sign bit is set)
#define SSHR4S31(d, n) WORD $(0x4f210400 | ((n)<<5) | (d))
// AND Vd.16B, Vn.16B, Vm.16B
#define AND16B(d, n, m) WORD $(0x4e201c00 | ((m)<<16) | ((n)<<5) | (d))
// MOV Vd.16B, Vn.16B (ORR Vd, Vn, Vn)
#define MOV16B(d, n) WORD $(0x4ea01c00 | ((n)<<16) | ((n)<<5) | (d))
// BIT Vd.16B, Vn.16B, Vm.16B (d takes n's bits where m's are set)
#define BIT16B(d, n, m) WORD $(0x6ea01c00 | ((m)<<16) | ((n)<<5) | (d))

// d = [Σa, Σb, Σc, Σe] for four 4-lane vectors; t and u are scratch. d may be one
// of a, b, c, e.
#define FREDUCE4(d, a, b, c, e, t, u) \
	FADDP4S(t, a, b); \
	FADDP4S(u, c, e); \
	FADDP4S(d, t, u)

#define IREDUCE4(d, a, b, c, e, t, u) \
	ADDP4S(t, a, b); \
	ADDP4S(u, c, e); \
	ADDP4S(d, t, u)
// SUB Vd.16B, Vn.16B, Vm.16B
#define SUB16B(d, n, m) WORD $(0x6e208400 | ((m)<<16) | ((n)<<5) | (d))
// USHR Vd.16B, Vn.16B, #4
#define USHR16B4(d, n) WORD $(0x6f0c0400 | ((n)<<5) | (d))
// MOVI Vd.16B, #imm (imm < 32)
#define MOVI16B(d, imm) WORD $(0x4f00e400 | ((imm)<<5) | (d))
// FCVT Sd, Hn (half to single precision)
#define FCVTSH(d, n) WORD $(0x1ee24000 | ((n)<<5) | (d))
// FCVTL Vd.4S, Vn.4H and FCVTL2 Vd.4S, Vn.8H (fp16 halves widened to fp32)
#define FCVTL4S(d, n) WORD $(0x0e217800 | ((n)<<5) | (d))
#define FCVTL24S(d, n) WORD $(0x4e217800 | ((n)<<5) | (d))
// SHLL Vd.4S, Vn.4H, #16 and SHLL2 Vd.4S, Vn.8H, #16 (bfloat16 halves widened to fp32)
#define SHLL16_4S(d, n) WORD $(0x2e613800 | ((n)<<5) | (d))
#define SHLL216_4S(d, n) WORD $(0x6e613800 | ((n)<<5) | (d))
