// embedding.cu: token embedding lookup on the device: rows of a [vocab, dim] table in
// fp32, fp16, or int8 with one scale per row, written as fp32.
#include "common.cuh"

__global__ void embedding_kernel(const int32_t *__restrict__ ids, int n, const void *__restrict__ table, int dtype,
                                 const float *__restrict__ scales, int dim, float *__restrict__ out) {
  int r = blockIdx.x;
  size_t id = (size_t)ids[r];
  float *o = out + (size_t)r * dim;
  for (int c = threadIdx.x; c < dim; c += blockDim.x) {
    size_t at = id * dim + c;
    float v;
    if (dtype == EDGE_F16)
      v = __half2float(((const __half *)table)[at]);
    else if (dtype == EDGE_I8)
      v = scales[id] * (float)((const int8_t *)table)[at];
    else
      v = ((const float *)table)[at];
    o[c] = v;
  }
}

extern "C" int32_t edge_embedding(edge_ctx *ctx, const int32_t *h_ids, int32_t n, const void *d_table, int32_t dtype,
                                  const float *d_row_scales, int32_t vocab, int32_t dim, float *d_out) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, n >= 0 && vocab > 0 && dim > 0, "edge_embedding: n=%d vocab=%d dim=%d", n, vocab, dim);
  EDGE_REQUIRE(ctx, dtype == EDGE_F32 || dtype == EDGE_F16 || dtype == EDGE_I8, "edge_embedding: unknown dtype %d",
               dtype);
  if (n == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, h_ids != NULL && d_table != NULL && d_out != NULL, "edge_embedding: null pointer");
  EDGE_REQUIRE(ctx, dtype != EDGE_I8 || d_row_scales != NULL, "edge_embedding: int8 table without row scales");
  for (int32_t i = 0; i < n; ++i)
    EDGE_REQUIRE(ctx, h_ids[i] >= 0 && h_ids[i] < vocab, "edge_embedding: token id %d (position %d) outside the vocabulary of %d",
                 h_ids[i], i, vocab);
  int32_t *ids = (int32_t *)edge_scratch(ctx, (size_t)n * sizeof(int32_t));
  if (ids == NULL) return EDGE_ERR_CUDA;
  EDGE_CUDA(ctx, cudaMemcpyAsync(ids, h_ids, (size_t)n * sizeof(int32_t), cudaMemcpyHostToDevice, ctx->stream));
  unsigned threads = dim >= 256 ? 256 : 64;
  embedding_kernel<<<n, threads, 0, ctx->stream>>>(ids, n, d_table, dtype, d_row_scales, dim, d_out);
  EDGE_LAUNCHED(ctx, "embedding");
  return EDGE_OK;
}
