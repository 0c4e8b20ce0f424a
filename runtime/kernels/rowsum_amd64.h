// STORE_ROW_Y sums the eight lanes of Y0 + Y1 into out[R11] (out in R13): the end of
// each row of the decoding tiles that read their rows one after the other (int8 and
// 16-bit). A 512-bit sum first extracts its upper half into Y1.
#define STORE_ROW_Y \
	VADDPS       Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VADDPS       X1, X0, X0; \
	VPSHUFD      $1, X0, X1; \
	VADDSS       X1, X0, X0; \
	VMOVSS       X0, (R13)(R11*4)
