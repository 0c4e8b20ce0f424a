// add.cu: x += y element-wise (residual connections).
#include "common.cuh"

__global__ void add_kernel(float *x, const float *y, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    x[i] += y[i];
}

extern "C" int32_t edge_add(edge_ctx *ctx, float *d_x, const float *d_y, uint64_t n) {
  EDGE_ENTER(ctx);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_x != NULL && d_y != NULL, "edge_add: null pointer (x %p, y %p)", d_x, d_y);
  add_kernel<<<edge_blocks(n, 256), 256, 0, ctx->stream>>>(d_x, d_y, (size_t)n);
  EDGE_LAUNCHED(ctx, "add");
  return EDGE_OK;
}
