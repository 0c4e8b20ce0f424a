// convert.cu: fp32 <-> fp16 (weights are uploaded in fp32 and stored in fp16; GEMM inputs).
#include "common.cuh"

__global__ void f32_to_f16_kernel(const float *__restrict__ src, __half *__restrict__ dst, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    dst[i] = __float2half_rn(src[i]);
}

__global__ void f16_to_f32_kernel(const __half *__restrict__ src, float *__restrict__ dst, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    dst[i] = __half2float(src[i]);
}

// Launchers shared with the GEMM files (no argument checks: callers did them).
int32_t edge_launch_f32_to_f16(edge_ctx *ctx, const float *src, __half *dst, size_t n) {
  if (n == 0) return EDGE_OK;
  f32_to_f16_kernel<<<edge_blocks(n, 256), 256, 0, ctx->stream>>>(src, dst, n);
  EDGE_LAUNCHED(ctx, "f32_to_f16");
  return EDGE_OK;
}

extern "C" {

int32_t edge_f32_to_f16(edge_ctx *ctx, const float *d_src, void *d_dst, uint64_t n) {
  EDGE_ENTER(ctx);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_src != NULL && d_dst != NULL, "edge_f32_to_f16: null pointer");
  return edge_launch_f32_to_f16(ctx, d_src, (__half *)d_dst, (size_t)n);
}

int32_t edge_f16_to_f32(edge_ctx *ctx, const void *d_src, float *d_dst, uint64_t n) {
  EDGE_ENTER(ctx);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_src != NULL && d_dst != NULL, "edge_f16_to_f32: null pointer");
  f16_to_f32_kernel<<<edge_blocks(n, 256), 256, 0, ctx->stream>>>((const __half *)d_src, d_dst, (size_t)n);
  EDGE_LAUNCHED(ctx, "f16_to_f32");
  return EDGE_OK;
}

}  // extern "C"
