// gated.cu: the gated feed-forward's product, x = act(x)·y (T5's wi_0 branch times wi_1);
// with the identity it is a plain element-wise product.
#include "common.cuh"

__global__ void gated_mul_kernel(float *x, const float *y, size_t n, int act) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    x[i] = edge_apply_act(x[i], act) * y[i];
}

extern "C" int32_t edge_gated_mul(edge_ctx *ctx, float *d_x, const float *d_y, uint64_t n, int32_t act) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, edge_valid_act(act), "edge_gated_mul: unknown activation %d", act);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_x != NULL && d_y != NULL, "edge_gated_mul: null pointer (x %p, y %p)", d_x, d_y);
  gated_mul_kernel<<<edge_blocks(n, 256), 256, 0, ctx->stream>>>(d_x, d_y, (size_t)n, act);
  EDGE_LAUNCHED(ctx, "gated_mul");
  return EDGE_OK;
}
