// kvcache.cu: appends a step's keys and values to a layer's device caches [capacity, width]
// at row pos, in one launch for both.
#include "common.cuh"

__global__ void kv_append_kernel(float *__restrict__ ck, float *__restrict__ cv, size_t off,
                                 const float *__restrict__ k, const float *__restrict__ v, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    ck[off + i] = k[i];
    cv[off + i] = v[i];
  }
}

extern "C" int32_t edge_kv_append(edge_ctx *ctx, float *d_cache_k, float *d_cache_v, int32_t capacity,
                                  int32_t width, int32_t pos, const float *d_k, const float *d_v, int32_t n) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, capacity > 0 && width > 0 && n >= 0 && pos >= 0,
               "edge_kv_append: capacity=%d width=%d pos=%d n=%d", capacity, width, pos, n);
  EDGE_REQUIRE(ctx, (int64_t)pos + n <= capacity, "edge_kv_append: rows %d..%d past the capacity %d", pos, pos + n,
               capacity);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_cache_k != NULL && d_cache_v != NULL && d_k != NULL && d_v != NULL,
               "edge_kv_append: null pointer");
  size_t count = (size_t)n * width;
  kv_append_kernel<<<edge_blocks(count, 256), 256, 0, ctx->stream>>>(d_cache_k, d_cache_v, (size_t)pos * width, d_k,
                                                                     d_v, count);
  EDGE_LAUNCHED(ctx, "kv_append");
  return EDGE_OK;
}
