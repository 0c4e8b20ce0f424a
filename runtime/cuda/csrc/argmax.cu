// argmax.cu: greedy decoding's choice on the device, so only an index per row comes back
// instead of the vocabulary's logits. Ties go to the lowest index, as in runtime's argmax;
// NaN is never chosen over a number.
#include "common.cuh"

__device__ __forceinline__ void better(float &bv, int &bi, float v, int i) {
  // v wins when larger, or equal with a lower index; NaN (v != v) never wins.
  if (v > bv || (v == bv && i < bi) || (bv != bv && v == v)) {
    bv = v;
    bi = i;
  }
}

__global__ void argmax_kernel(const float *__restrict__ x, int cols, int32_t *__restrict__ out) {
  __shared__ float sv[32];
  __shared__ int si[32];
  const float *xr = x + (size_t)blockIdx.x * cols;
  float bv = -INFINITY;
  int bi = cols;  // past the end: any real entry replaces it
  for (int j = threadIdx.x; j < cols; j += blockDim.x) better(bv, bi, xr[j], j);
  for (int o = 16; o > 0; o >>= 1) {
    float v = __shfl_xor_sync(0xffffffffu, bv, o);
    int i = __shfl_xor_sync(0xffffffffu, bi, o);
    better(bv, bi, v, i);
  }
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  if (lane == 0) {
    sv[warp] = bv;
    si[warp] = bi;
  }
  __syncthreads();
  if (warp == 0) {
    bv = lane < warps ? sv[lane] : -INFINITY;
    bi = lane < warps ? si[lane] : cols;
    for (int o = 16; o > 0; o >>= 1) {
      float v = __shfl_xor_sync(0xffffffffu, bv, o);
      int i = __shfl_xor_sync(0xffffffffu, bi, o);
      better(bv, bi, v, i);
    }
    if (lane == 0) out[blockIdx.x] = bi < cols ? bi : 0;  // an all-NaN row gives 0
  }
}

extern "C" int32_t edge_argmax(edge_ctx *ctx, const float *d_x, int32_t rows, int32_t cols, int32_t *h_out) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, rows > 0 && cols > 0, "edge_argmax: shape %dx%d must be positive", rows, cols);
  EDGE_REQUIRE(ctx, d_x != NULL && h_out != NULL, "edge_argmax: null pointer (x %p, out %p)", d_x, h_out);
  int32_t *d_out = (int32_t *)edge_scratch(ctx, (size_t)rows * sizeof(int32_t));
  if (d_out == NULL) return EDGE_ERR_CUDA;
  argmax_kernel<<<rows, 256, 0, ctx->stream>>>(d_x, cols, d_out);
  EDGE_LAUNCHED(ctx, "argmax");
  EDGE_CUDA(ctx, cudaMemcpyAsync(h_out, d_out, (size_t)rows * sizeof(int32_t), cudaMemcpyDeviceToHost, ctx->stream));
  EDGE_CUDA(ctx, cudaStreamSynchronize(ctx->stream));
  return EDGE_OK;
}
