// common.cuh: what every op file shares: the context, error reporting, argument checks,
// scratch memory and block reductions. Internal to the library.
#ifndef EDGECUDA_COMMON_CUH
#define EDGECUDA_COMMON_CUH

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdarg.h>
#include <stdio.h>

#include "edgecuda.h"

struct edge_ctx {
  int device;
  cudaStream_t stream;
  cublasHandle_t blas;
  cublasLtHandle_t lt;
  void *lt_workspace;  // cuBLASLt's workspace
  size_t lt_workspace_bytes;
  void *scratch;  // temporaries of one op (fp16 activations, scores, int8 rows)
  size_t scratch_bytes;
  char msg[1024];
  // How int8 products ran: through cuBLASLt, or the plain kernel (and why, last time).
  int64_t lt_int8_calls, lt_int8_fallbacks;
  char lt_int8_reason[256];
};

// edge_fail records a formatted message on ctx and returns status.
int32_t edge_fail(edge_ctx *ctx, int32_t status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// edge_scratch returns at least bytes of device memory private to the current op; it
// invalidates what an earlier call returned. NULL (with the message set) on failure.
void *edge_scratch(edge_ctx *ctx, size_t bytes);

// Carves aligned pieces out of one scratch allocation.
static inline size_t edge_align(size_t n) { return (n + 255) & ~(size_t)255; }

#define EDGE_CHECK_CTX(ctx)                          \
  do {                                               \
    if ((ctx) == NULL) return EDGE_ERR_ARGUMENT;     \
  } while (0)

// Every entry that touches the device starts here: Go calls arrive on any OS thread,
// and the current device is per thread.
#define EDGE_ENTER(ctx)                              \
  do {                                               \
    EDGE_CHECK_CTX(ctx);                             \
    EDGE_CUDA(ctx, cudaSetDevice((ctx)->device));    \
  } while (0)

#define EDGE_REQUIRE(ctx, cond, ...)                                  \
  do {                                                                \
    if (!(cond)) return edge_fail((ctx), EDGE_ERR_ARGUMENT, __VA_ARGS__); \
  } while (0)

#define EDGE_CUDA(ctx, call)                                                                   \
  do {                                                                                         \
    cudaError_t e_ = (call);                                                                   \
    if (e_ != cudaSuccess)                                                                     \
      return edge_fail((ctx), EDGE_ERR_CUDA, "%s: %s (%s:%d)", #call, cudaGetErrorString(e_), \
                       __FILE__, __LINE__);                                                    \
  } while (0)

#define EDGE_BLAS(ctx, call)                                                                      \
  do {                                                                                            \
    cublasStatus_t s_ = (call);                                                                   \
    if (s_ != CUBLAS_STATUS_SUCCESS)                                                              \
      return edge_fail((ctx), EDGE_ERR_CUBLAS, "%s: %s (%s:%d)", #call, cublasGetStatusString(s_), \
                       __FILE__, __LINE__);                                                       \
  } while (0)

// After a kernel launch: reports a bad launch configuration (or an earlier
// asynchronous failure) at once, naming the kernel.
#define EDGE_LAUNCHED(ctx, what)                                                                  \
  do {                                                                                            \
    cudaError_t e_ = cudaGetLastError();                                                          \
    if (e_ != cudaSuccess)                                                                        \
      return edge_fail((ctx), EDGE_ERR_CUDA, "launch %s: %s (%s:%d)", what, cudaGetErrorString(e_), \
                       __FILE__, __LINE__);                                                       \
  } while (0)

static inline unsigned edge_blocks(size_t n, unsigned threads) {
  size_t b = (n + threads - 1) / threads;
  return (unsigned)(b > 65535u * 32u ? 65535u * 32u : b);  // grid-stride loops cover the rest
}

// ---- block reductions (blockDim.x a multiple of 32, at most 1024)

__device__ __forceinline__ float edge_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float edge_warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; every thread gets the result. shared needs 32 floats.
__device__ __forceinline__ float edge_block_sum(float v, float *shared) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = edge_warp_sum(v);
  __syncthreads();  // shared may still be read by a previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : 0.f;
  return edge_warp_sum(v);
}

__device__ __forceinline__ float edge_block_max(float v, float *shared) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  v = edge_warp_max(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : -INFINITY;
  return edge_warp_max(v);
}

__device__ __forceinline__ float edge_apply_act(float x, int act) {
  switch (act) {
    case EDGE_ACT_RELU:
      return fmaxf(x, 0.f);
    case EDGE_ACT_GELU:
      return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case EDGE_ACT_GELU_TANH:
      return 0.5f * x * (1.f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    default:
      return x;
  }
}

// Checks the fields of an attention call shared by both paths (attention_prefill.cu).
int32_t edge_check_attn(edge_ctx *ctx, const char *what, const edge_attn_args *a);

// Launchers one op file lends another (arguments already checked by the caller).
int32_t edge_launch_f32_to_f16(edge_ctx *ctx, const float *src, __half *dst, size_t n);
// Fills y [m,n] with bias broadcast over rows (zeros when bias is NULL).
int32_t edge_launch_broadcast_bias(edge_ctx *ctx, int m, int n, const float *bias, float *y);
int32_t edge_launch_softmax(edge_ctx *ctx, float *x, int heads, int tq, int tk, const float *bias, int causal,
                            int offset);
int32_t edge_launch_quantize_rows(edge_ctx *ctx, int rows, int cols, const float *x, int8_t *q, float *scales);

static inline bool edge_valid_act(int32_t act) { return act >= EDGE_ACT_IDENTITY && act <= EDGE_ACT_GELU_TANH; }

#endif
