// Package cuda is the GPU backend: runtime.Backend on NVIDIA GPUs through libedgecuda.so,
// a small C/CUDA library (csrc/, one file per op, GEMMs through cuBLAS and cuBLASLt) that
// is built with nvcc (`make cuda`) and loaded at run time with purego, so the Go binary
// needs no cgo and one build runs with or without a GPU.
//
// STATUS: NOT YET RUN ON A GPU. The CUDA sources compile with nvcc 11.8 (sm_87, sm_90)
// and the Go side loads the library and reports "no CUDA device" on a machine without
// one, but no kernel, GEMM or model has executed on a GPU yet: treat every number and
// every result of this package as unverified until scripts/gpu-check.sh has passed on a
// GPU machine. The tests compare each op with the CPU backend and the models with the
// golden tokens; they skip, saying why, where the library or a GPU is missing.
//
// Data flow: runtime.Tensor's values live where the backend that made them keeps them.
// This backend's tensors are device buffers (reused by size, freed when lost), so a
// forward pass keeps its activations on the GPU from op to op; the KV cache
// (runtime.KVCache on CopyRows and row views) appends and is read in device memory;
// Embed gathers rows on the device from the token ids; greedy decoding brings back one
// id per step (Argmax), beam search and sampling one logits row. Weights, norm weights,
// biases and position tables are uploaded once, on first use, and stay resident in
// fp32, fp16 or int8 (see Precision).
//
// Calls are serialised by a mutex: one stream per Backend. Device failures (out of
// memory, a kernel error) panic with an *Error, because runtime.Backend's methods return
// no error; shape mismatches panic as the CPU backend's do.
//
// Its room in docs/architecture.md: backends: imports only runtime/ and its kernels.
package cuda
