// HSUM_Y01 sums the eight lanes of Y0 + Y1 into X0 (lane 0).
#define HSUM_Y01 \
	VADDPS       Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VADDPS       X1, X0, X0; \
	VPSHUFD      $1, X0, X1; \
	VADDSS       X1, X0, X0

// HSUM512 reduces the 16 lanes of Z0 into X0 (lane 0).
#define HSUM512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	HSUM_Y01

// STORE_ROW_Y sums the eight lanes of Y0 + Y1 into out[R11] (out in R13): the end of
// each row of the decoding tiles that read their rows one after the other (int8 and
// 16-bit). A 512-bit sum first extracts its upper half into Y1.
#define STORE_ROW_Y \
	HSUM_Y01; \
	VMOVSS X0, (R13)(R11*4)
