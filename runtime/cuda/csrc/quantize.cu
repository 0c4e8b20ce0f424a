// quantize.cu: per-row symmetric int8 quantization of activations (W8A8), the same
// arithmetic as runtime/kernels.QuantizeRowSymmetric: scale = max|x|/127,
// q = round-half-away(x·127/max|x|) clamped to ±127, NaN → 0, an all-zero row gets scale 1.
#include "common.cuh"

__global__ void quantize_rows_kernel(int cols, const float *__restrict__ x, int8_t *__restrict__ q,
                                     float *__restrict__ scales) {
  __shared__ float red[32];
  const float *xr = x + (size_t)blockIdx.x * cols;
  int8_t *qr = q + (size_t)blockIdx.x * cols;
  float m = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, fabsf(xr[i]));  // fmaxf drops NaN
  m = edge_block_max(m, red);
  if (m == 0.f) {
    for (int i = threadIdx.x; i < cols; i += blockDim.x) qr[i] = 0;
    if (threadIdx.x == 0) scales[blockIdx.x] = 1.f;
    return;
  }
  float inv = 127.f / m;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) {
    float s = __fmul_rn(xr[i], inv);  // no contraction: the CPU rounds the product first
    float r = (s != s) ? 0.f : fminf(fmaxf(roundf(s), -127.f), 127.f);
    qr[i] = (int8_t)r;
  }
  if (threadIdx.x == 0) scales[blockIdx.x] = m / 127.f;
}

int32_t edge_launch_quantize_rows(edge_ctx *ctx, int rows, int cols, const float *x, int8_t *q, float *scales) {
  quantize_rows_kernel<<<rows, 256, 0, ctx->stream>>>(cols, x, q, scales);
  EDGE_LAUNCHED(ctx, "quantize_rows");
  return EDGE_OK;
}

extern "C" int32_t edge_quantize_rows(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, int8_t *d_q,
                                      float *d_scales) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, rows > 0 && cols > 0, "edge_quantize_rows: shape %dx%d must be positive", rows, cols);
  EDGE_REQUIRE(ctx, d_x != NULL && d_q != NULL && d_scales != NULL,
               "edge_quantize_rows: null pointer");
  return edge_launch_quantize_rows(ctx, rows, cols, d_x, d_q, d_scales);
}
