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
// Data flow in this first version: runtime.Tensor holds host float32 slices, so each op
// copies its activations to the device and its result back. Weights are different: each
// *runtime.Weight (and each norm weight and bias) is uploaded once, on first use, and
// stays resident in fp32, fp16 or int8 (see Precision). Removing the per-op copies needs
// a device-resident tensor in package runtime: see DEVICE_TENSORS.md.
//
// Calls are serialised by a mutex: one stream per Backend. Device failures (out of
// memory, a kernel error) panic with an *Error, because runtime.Backend's methods return
// no error; shape mismatches panic as the CPU backend's do.
package cuda
