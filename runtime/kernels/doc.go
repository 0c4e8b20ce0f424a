// Package kernels holds the single-threaded compute primitives of the CPU backend:
// fp32 matrix products shaped like a Linear layer (weights stored [out, in]), the
// vector helpers around them, int8 matrix products with exact int32 accumulation,
// int8-weight matrix-vector products against block-quantized activations (Q8),
// weight-only int4 matrix-vector products with fp32 activations (GemvQ4F32: groups
// of nibbles with fp16 scales, the layout in q4.go), symmetric
// per-row int8 quantization and its inverse (Dequantize, DequantizeI32), the
// element-wise float32 math of a transformer layer (Softmax, LayerNorm, GELU,
// GELUTanh, ExpShift, Max: a fast exp with relative errors near 1e-7 and a rational
// erf, see math.go), and peak-throughput loops (PeakF32, PeakI8) that state
// what the cores can do at most.
//
// Every kernel has a portable Go version and, on amd64 (AVX2+FMA, AVX-512, AVX-512
// VNNI) and arm64 (NEON, SDOT), an assembly version. The best version this CPU runs
// is chosen once at start-up; [Impl] names it. The build tag purego forces the
// portable versions everywhere. The element-wise math and the dequantization have
// assembly in every set (AVX2+FMA, AVX-512, NEON), computing the formulas of the
// Go versions (DequantizeQ4 excepted on arm64: Go there for now); the int4 kernels
// need F16C beside AVX2 (else they run portable); the int8 row sums exist for
// AVX-512 VNNI only, the one set that needs them, and the peak loops for amd64 only.
// The int8 products run an outer-product kernel on packed panels with VNNI (VPDPBUSD)
// and, without it on amd64, with VPMADDWD on int16 panels (gemm_i8_madd.go); arm64
// and the portable set use dot tiles. Decoding's GemvI8Q8 hands all the rows of a call
// to one assembly loop on amd64 (one stream for memory, no return to Go between rows);
// arm64 runs four-row NEON tiles.
//
// The kernels never start goroutines and share no mutable state: the caller splits
// work across cores and calls them on disjoint parts of the output. Split the
// large-m products (image path) by rows of A and C, every goroutine using the same
// B or PackedB; split the small-m ones (decode: GemmNT with m ≤ 8, GemvI8Q8) by rows
// of B, that is a slice of the weight rows and the matching columns of C.
//
// Matrices are row-major slices with a leading dimension (the distance, in
// elements, between the starts of two consecutive rows). A call whose slices are too
// short for the shapes it is given panics with a message naming the shapes, like an
// out-of-range index would: shapes are checked by the tensor layer above, and a
// kernel must never read or write outside its slices. No kernel allocates, except
// PackB and PackBI8, which return new memory, PackBT and PackBInto when the
// buffer they are given is too small, and the int8 products on amd64 without VNNI,
// which widen A into a pooled buffer (allocated once, again after a collection
// empties the pool). PackedB.Cols and PackedBI8.Cols cut a packed
// matrix by columns without copying, for callers that split a product across cores
// by output columns.
//
// Its room in docs/architecture.md: kernels (the bottom): imports nothing of the project.
package kernels
