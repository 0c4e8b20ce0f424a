// gemv_w8.cu: weight-only int8 linear layers (float activations, int8 weights with one
// scale per output row): y[r,j] = s_w[j]·Σ_i x[r,i]·w[j,i] + bias[j].
//
// Decoding is memory-bound: one warp streams one weight row once and applies it to up to
// ROWS activation rows held in registers. Prefill with many rows re-reads the weight per
// group of ROWS rows: correct, not fast (a dequantise-then-GEMM path would be).
#include "common.cuh"

#define W8_ROWS 4

__global__ void linear_w8_kernel(int m, int n, int k, bool vec, const float *__restrict__ x, const int8_t *__restrict__ w,
                                 const float *__restrict__ sw, const float *__restrict__ bias,
                                 float *__restrict__ y) {
  int j = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5);
  int lane = threadIdx.x & 31;
  if (j >= n) return;  // whole warps leave together: n is per warp
  const int8_t *wr = w + (size_t)j * k;
  for (int r0 = 0; r0 < m; r0 += W8_ROWS) {
    float acc[W8_ROWS];
#pragma unroll
    for (int t = 0; t < W8_ROWS; ++t) acc[t] = 0.f;
    if (vec) {
      const char4 *w4 = (const char4 *)wr;
      for (int i = lane; i < k / 4; i += 32) {
        char4 q = w4[i];
#pragma unroll
        for (int t = 0; t < W8_ROWS; ++t) {
          if (r0 + t < m) {
            float4 xv = ((const float4 *)(x + (size_t)(r0 + t) * k))[i];
            acc[t] += xv.x * (float)q.x + xv.y * (float)q.y + xv.z * (float)q.z + xv.w * (float)q.w;
          }
        }
      }
    } else {
      for (int i = lane; i < k; i += 32) {
        float q = (float)wr[i];
#pragma unroll
        for (int t = 0; t < W8_ROWS; ++t)
          if (r0 + t < m) acc[t] += x[(size_t)(r0 + t) * k + i] * q;
      }
    }
#pragma unroll
    for (int t = 0; t < W8_ROWS; ++t) {
      float v = edge_warp_sum(acc[t]);
      if (lane == 0 && r0 + t < m) y[(size_t)(r0 + t) * n + j] = sw[j] * v + (bias != NULL ? bias[j] : 0.f);
    }
  }
}

extern "C" int32_t edge_linear_w8(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                  const int8_t *d_w, const float *d_w_scales, const float *d_bias, float *d_y) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, m > 0 && n > 0 && k > 0, "edge_linear_w8: shape m=%d n=%d k=%d must be positive", m, n, k);
  EDGE_REQUIRE(ctx, d_x != NULL && d_w != NULL && d_w_scales != NULL && d_y != NULL,
               "edge_linear_w8: null pointer (x %p, w %p, scales %p, y %p)", d_x, d_w, d_w_scales, d_y);
  // Vector loads when every x row starts 16-byte aligned and every weight row 4-byte aligned.
  bool vec = (k & 3) == 0 && ((uintptr_t)d_x & 15) == 0 && ((uintptr_t)d_w & 3) == 0;
  const int threads = 256;  // 8 warps, 8 output columns per block
  unsigned blocks = (unsigned)(((size_t)n * 32 + threads - 1) / threads);
  linear_w8_kernel<<<blocks, threads, 0, ctx->stream>>>(m, n, k, vec, d_x, d_w, d_w_scales, d_bias, d_y);
  EDGE_LAUNCHED(ctx, "linear_w8");
  return EDGE_OK;
}
