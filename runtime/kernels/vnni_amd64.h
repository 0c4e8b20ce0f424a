// Encodings the Go assembler does not know, checked by disassembling the built code (objdump).

// VPDPBUSD ymm(acc), ymm(u), ymm(s) in its VEX form (AVX-VNNI): acc += Σ of the four
// products u8(u)·s8(s) in each 32-bit lane. The Go assembler encodes only the EVEX
// form (AVX-512 VL), which a CPU without AVX-512 cannot run. Registers 0..15.
#define VPDPBUSD_VEX(acc, u, s) \
	BYTE $0xC4; \
	BYTE $(0x42 | ((1-((acc)>>3))<<7) | ((1-((s)>>3))<<5)); \
	BYTE $(0x05 | ((15-(u))<<3)); \
	BYTE $0x50; \
	BYTE $(0xC0 | (((acc)&7)<<3) | ((s)&7))
