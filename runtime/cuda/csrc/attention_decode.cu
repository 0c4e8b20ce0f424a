// attention_decode.cu: fused attention for few queries (decoding a token): one block per
// (head, query); warps take keys in turn for q·k, the scores stay in shared memory, then
// each thread sums p·v for its output columns. No scratch, one launch.
#include "common.cuh"

#define DECODE_THREADS 128

__global__ void attention_decode_kernel(edge_attn_args a) {
  extern __shared__ float sm[];
  __shared__ float red[32];
  int h = blockIdx.x, i = blockIdx.y, d = a.head_dim, tk = a.tk, w = a.heads * d;
  size_t ldq = a.ld_q ? a.ld_q : w, ldkv = a.ld_kv ? a.ld_kv : w;
  float *qs = sm, *sc = sm + d;
  const float *qi = a.d_q + (size_t)i * ldq + (size_t)h * d;
  for (int c = threadIdx.x; c < d; c += blockDim.x) qs[c] = qi[c];
  __syncthreads();
  int limit = a.causal ? min(tk, i + a.query_offset + 1) : tk;
  const float *br = a.d_bias != NULL ? a.d_bias + ((size_t)h * a.tq + i) * tk : NULL;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int j = warp; j < limit; j += warps) {
    const float *kj = a.d_k + (size_t)j * ldkv + (size_t)h * d;
    float s = 0.f;
    for (int c = lane; c < d; c += 32) s += qs[c] * kj[c];
    s = edge_warp_sum(s);
    if (lane == 0) sc[j] = a.scale * s + (br != NULL ? br[j] : 0.f);
  }
  __syncthreads();
  float m = -INFINITY;
  for (int j = threadIdx.x; j < limit; j += blockDim.x) m = fmaxf(m, sc[j]);
  m = edge_block_max(m, red);
  float sum = 0.f;
  for (int j = threadIdx.x; j < limit; j += blockDim.x) {
    float e = expf(sc[j] - m);
    sc[j] = e;
    sum += e;
  }
  sum = edge_block_sum(sum, red);  // its barriers also publish sc
  float inv = sum > 0.f ? 1.f / sum : 0.f;
  float *oi = a.d_out + (size_t)i * w + (size_t)h * d;
  for (int c = threadIdx.x; c < d; c += blockDim.x) {
    const float *vc = a.d_v + (size_t)h * d + c;
    float acc = 0.f;
    for (int j = 0; j < limit; ++j) acc += sc[j] * vc[(size_t)j * ldkv];
    oi[c] = acc * inv;
  }
}

extern "C" int32_t edge_attention_decode(edge_ctx *ctx, const edge_attn_args *a) {
  EDGE_ENTER(ctx);
  int32_t st = edge_check_attn(ctx, "edge_attention_decode", a);
  if (st != EDGE_OK) return st;
  size_t smem = ((size_t)a->head_dim + a->tk) * sizeof(float);
  if (smem > 48u * 1024u)
    return edge_fail(ctx, EDGE_ERR_UNSUPPORTED, "edge_attention_decode: %d keys of head size %d exceed shared memory",
                     a->tk, a->head_dim);
  EDGE_REQUIRE(ctx, a->tq <= 65535, "edge_attention_decode: %d queries is more than a grid's y", a->tq);
  dim3 grid(a->heads, a->tq);
  attention_decode_kernel<<<grid, DECODE_THREADS, smem, ctx->stream>>>(*a);
  EDGE_LAUNCHED(ctx, "attention_decode");
  return EDGE_OK;
}
