// activation.cu: ReLU, exact GELU (erf) and tanh GELU, in place.
#include "common.cuh"

__global__ void activate_kernel(float *x, size_t n, int act) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    x[i] = edge_apply_act(x[i], act);
}

extern "C" int32_t edge_activate(edge_ctx *ctx, float *d_x, uint64_t n, int32_t act) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, edge_valid_act(act), "edge_activate: unknown activation %d", act);
  if (n == 0 || act == EDGE_ACT_IDENTITY) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_x != NULL, "edge_activate: null pointer");
  activate_kernel<<<edge_blocks(n, 256), 256, 0, ctx->stream>>>(d_x, (size_t)n, act);
  EDGE_LAUNCHED(ctx, "activate");
  return EDGE_OK;
}
