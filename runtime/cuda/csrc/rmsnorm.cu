// rmsnorm.cu: T5's layer norm, y = weight·x/sqrt(mean(x²)+eps), no mean subtraction.
#include "common.cuh"

__global__ void rms_norm_kernel(int cols, const float *x, float *y, const float *__restrict__ weight, float eps) {
  __shared__ float red[32];
  const float *xr = x + (size_t)blockIdx.x * cols;
  float *yr = y + (size_t)blockIdx.x * cols;
  float ss = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) ss += xr[i] * xr[i];
  float inv = rsqrtf(edge_block_sum(ss, red) / (float)cols + eps);
  for (int i = threadIdx.x; i < cols; i += blockDim.x) yr[i] = weight[i] * (xr[i] * inv);
}

extern "C" int32_t edge_rms_norm(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, float *d_y,
                                 const float *d_weight, float eps) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, rows > 0 && cols > 0, "edge_rms_norm: shape %dx%d must be positive", rows, cols);
  EDGE_REQUIRE(ctx, d_x != NULL && d_y != NULL && d_weight != NULL,
               "edge_rms_norm: null pointer (x %p, y %p, weight %p)", d_x, d_y, d_weight);
  EDGE_REQUIRE(ctx, eps >= 0.f, "edge_rms_norm: eps %g is negative", eps);
  unsigned threads = 32;
  while (threads < 256 && threads < (unsigned)cols) threads <<= 1;
  rms_norm_kernel<<<rows, threads, 0, ctx->stream>>>(cols, d_x, d_y, d_weight, eps);
  EDGE_LAUNCHED(ctx, "rms_norm");
  return EDGE_OK;
}
