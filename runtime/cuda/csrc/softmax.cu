// softmax.cu: attention's softmax in place over rows of scores [heads·tq, tk], with the
// additive bias [heads, tq, tk] (T5's relative positions) and the causal mask. Masked
// entries become 0, so p·v can run over every key.
#include "common.cuh"

__global__ void softmax_kernel(float *x, int tq, int tk, const float *__restrict__ bias, int causal, int offset) {
  __shared__ float red[32];
  size_t row = blockIdx.x;
  int i = (int)(row % tq);
  float *xr = x + row * tk;
  const float *br = bias != NULL ? bias + row * tk : NULL;  // the bias shares the scores' layout
  int limit = causal ? min(tk, i + offset + 1) : tk;
  float m = -INFINITY;
  for (int j = threadIdx.x; j < limit; j += blockDim.x) {
    float v = xr[j] + (br != NULL ? br[j] : 0.f);
    xr[j] = v;
    m = fmaxf(m, v);
  }
  m = edge_block_max(m, red);
  float s = 0.f;
  for (int j = threadIdx.x; j < limit; j += blockDim.x) {
    float e = expf(xr[j] - m);
    xr[j] = e;
    s += e;
  }
  s = edge_block_sum(s, red);
  float inv = s > 0.f ? 1.f / s : 0.f;  // an empty row (limit ≤ 0) gives zeros, as on the CPU
  for (int j = threadIdx.x; j < tk; j += blockDim.x) xr[j] = j < limit ? xr[j] * inv : 0.f;
}

int32_t edge_launch_softmax(edge_ctx *ctx, float *x, int heads, int tq, int tk, const float *bias, int causal,
                            int offset) {
  unsigned threads = 32;
  while (threads < 256 && threads < (unsigned)tk) threads <<= 1;
  softmax_kernel<<<(unsigned)heads * tq, threads, 0, ctx->stream>>>(x, tq, tk, bias, causal, offset);
  EDGE_LAUNCHED(ctx, "softmax");
  return EDGE_OK;
}

extern "C" int32_t edge_softmax(edge_ctx *ctx, float *d_x, int32_t heads, int32_t tq, int32_t tk,
                                const float *d_bias, int32_t causal, int32_t query_offset) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, heads > 0 && tq > 0 && tk > 0, "edge_softmax: shape heads=%d tq=%d tk=%d must be positive", heads,
               tq, tk);
  EDGE_REQUIRE(ctx, d_x != NULL, "edge_softmax: null pointer");
  EDGE_REQUIRE(ctx, !causal || query_offset >= 0, "edge_softmax: negative query offset %d", query_offset);
  return edge_launch_softmax(ctx, d_x, heads, tq, tk, d_bias, causal, query_offset);
}
