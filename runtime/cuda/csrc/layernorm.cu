// layernorm.cu: y = (x-mean)/sqrt(var+eps)·weight + bias per row, one block per row.
// Two passes over the row (mean, then squared deviations) keep float32 statistics
// accurate; weight and bias may be NULL (OPT without elementwise affine).
#include "common.cuh"

__global__ void layer_norm_kernel(int cols, const float *x, float *y, const float *__restrict__ weight,
                                  const float *__restrict__ bias, float eps) {
  __shared__ float red[32];
  const float *xr = x + (size_t)blockIdx.x * cols;
  float *yr = y + (size_t)blockIdx.x * cols;
  float s = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) s += xr[i];
  float mean = edge_block_sum(s, red) / (float)cols;
  float ss = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) {
    float d = xr[i] - mean;
    ss += d * d;
  }
  float inv = rsqrtf(edge_block_sum(ss, red) / (float)cols + eps);
  for (int i = threadIdx.x; i < cols; i += blockDim.x) {
    float v = (xr[i] - mean) * inv;
    if (weight != NULL) v *= weight[i];
    if (bias != NULL) v += bias[i];
    yr[i] = v;
  }
}

static unsigned row_threads(int cols) {
  unsigned t = 32;
  while (t < 1024 && t < (unsigned)cols) t <<= 1;
  return t > 256 ? 256 : t;
}

extern "C" int32_t edge_layer_norm(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, float *d_y,
                                   const float *d_weight, const float *d_bias, float eps) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, rows > 0 && cols > 0, "edge_layer_norm: shape %dx%d must be positive", rows, cols);
  EDGE_REQUIRE(ctx, d_x != NULL && d_y != NULL, "edge_layer_norm: null pointer (x %p, y %p)", d_x, d_y);
  EDGE_REQUIRE(ctx, eps >= 0.f, "edge_layer_norm: eps %g is negative", eps);
  layer_norm_kernel<<<rows, row_threads(cols), 0, ctx->stream>>>(cols, d_x, d_y, d_weight, d_bias, eps);
  EDGE_LAUNCHED(ctx, "layer_norm");
  return EDGE_OK;
}
