// memory.cu: device allocations and copies on the context's stream.
#include "common.cuh"

extern "C" {

int32_t edge_malloc(edge_ctx *ctx, uint64_t bytes, void **out) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, out != NULL, "edge_malloc: null output pointer");
  EDGE_REQUIRE(ctx, bytes > 0, "edge_malloc: zero bytes");
  *out = NULL;
  cudaError_t e = cudaMalloc(out, (size_t)bytes);
  if (e != cudaSuccess) {
    *out = NULL;
    size_t f = 0, t = 0;
    cudaGetLastError();  // clear the sticky-free error state before asking for the numbers
    cudaMemGetInfo(&f, &t);
    return edge_fail(ctx, EDGE_ERR_CUDA, "cudaMalloc(%llu bytes): %s (%zu of %zu bytes free)",
                     (unsigned long long)bytes, cudaGetErrorString(e), f, t);
  }
  return EDGE_OK;
}

int32_t edge_free(edge_ctx *ctx, void *d_ptr) {
  EDGE_ENTER(ctx);
  if (d_ptr == NULL) return EDGE_OK;
  // cudaFree waits for the device anyway; say so explicitly: queued work may still read it.
  EDGE_CUDA(ctx, cudaStreamSynchronize(ctx->stream));
  EDGE_CUDA(ctx, cudaFree(d_ptr));
  return EDGE_OK;
}

int32_t edge_memcpy_h2d(edge_ctx *ctx, void *d_dst, const void *h_src, uint64_t bytes) {
  EDGE_ENTER(ctx);
  if (bytes == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_dst != NULL && h_src != NULL, "edge_memcpy_h2d: null pointer (dst %p, src %p)", d_dst, h_src);
  // From pageable memory the call returns once the source was staged, so the caller may
  // reuse its buffer at once.
  EDGE_CUDA(ctx, cudaMemcpyAsync(d_dst, h_src, (size_t)bytes, cudaMemcpyHostToDevice, ctx->stream));
  return EDGE_OK;
}

int32_t edge_memcpy_d2h(edge_ctx *ctx, void *h_dst, const void *d_src, uint64_t bytes) {
  EDGE_ENTER(ctx);
  if (bytes == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, h_dst != NULL && d_src != NULL, "edge_memcpy_d2h: null pointer (dst %p, src %p)", h_dst, d_src);
  EDGE_CUDA(ctx, cudaMemcpyAsync(h_dst, d_src, (size_t)bytes, cudaMemcpyDeviceToHost, ctx->stream));
  EDGE_CUDA(ctx, cudaStreamSynchronize(ctx->stream));
  return EDGE_OK;
}

int32_t edge_memcpy_d2d(edge_ctx *ctx, void *d_dst, const void *d_src, uint64_t bytes) {
  EDGE_ENTER(ctx);
  if (bytes == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_dst != NULL && d_src != NULL, "edge_memcpy_d2d: null pointer (dst %p, src %p)", d_dst, d_src);
  EDGE_CUDA(ctx, cudaMemcpyAsync(d_dst, d_src, (size_t)bytes, cudaMemcpyDeviceToDevice, ctx->stream));
  return EDGE_OK;
}

int32_t edge_memset(edge_ctx *ctx, void *d_dst, int32_t value, uint64_t bytes) {
  EDGE_ENTER(ctx);
  if (bytes == 0) return EDGE_OK;
  EDGE_REQUIRE(ctx, d_dst != NULL, "edge_memset: null pointer");
  EDGE_CUDA(ctx, cudaMemsetAsync(d_dst, value, (size_t)bytes, ctx->stream));
  return EDGE_OK;
}

}  // extern "C"
