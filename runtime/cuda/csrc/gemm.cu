// gemm.cu: float linear layers through cuBLAS: y[m,n] = x[m,k]·Wᵀ + bias, W stored [n,k].
//
// cuBLAS is column-major: a row-major [r,c] matrix is a column-major [c,r] one. So
// yᵀ (n×m) = W (n×k, op T on the column-major k×n view) · xᵀ (k×m): transa = T, transb = N.
#include "common.cuh"

__global__ void broadcast_bias_kernel(int m, int n, const float *__restrict__ bias, float *__restrict__ y) {
  size_t total = (size_t)m * n;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x)
    y[i] = bias != NULL ? bias[i % n] : 0.f;
}

int32_t edge_launch_broadcast_bias(edge_ctx *ctx, int m, int n, const float *bias, float *y) {
  size_t total = (size_t)m * n;
  broadcast_bias_kernel<<<edge_blocks(total, 256), 256, 0, ctx->stream>>>(m, n, bias, y);
  EDGE_LAUNCHED(ctx, "broadcast_bias");
  return EDGE_OK;
}

static int32_t check_linear(edge_ctx *ctx, const char *what, int32_t m, int32_t n, int32_t k, const void *x,
                            const void *w, const void *y) {
  EDGE_REQUIRE(ctx, m > 0 && n > 0 && k > 0, "%s: shape m=%d n=%d k=%d must be positive", what, m, n, k);
  EDGE_REQUIRE(ctx, x != NULL && w != NULL && y != NULL, "%s: null pointer (x %p, w %p, y %p)", what, x, w, y);
  return EDGE_OK;
}

extern "C" {

int32_t edge_linear_f32(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x, const float *d_w,
                        const float *d_bias, float *d_y, int32_t allow_tf32) {
  EDGE_ENTER(ctx);
  int32_t st = check_linear(ctx, "edge_linear_f32", m, n, k, d_x, d_w, d_y);
  if (st != EDGE_OK) return st;
  float alpha = 1.f, beta = 0.f;
  if (d_bias != NULL) {
    if ((st = edge_launch_broadcast_bias(ctx, m, n, d_bias, d_y)) != EDGE_OK) return st;
    beta = 1.f;
  }
  cublasComputeType_t compute = allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  EDGE_BLAS(ctx, cublasGemmEx(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, d_w, CUDA_R_32F, k, d_x,
                              CUDA_R_32F, k, &beta, d_y, CUDA_R_32F, n, compute, CUBLAS_GEMM_DEFAULT));
  return EDGE_OK;
}

int32_t edge_linear_f16(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x, const void *d_w,
                        const float *d_bias, float *d_y) {
  EDGE_ENTER(ctx);
  int32_t st = check_linear(ctx, "edge_linear_f16", m, n, k, d_x, d_w, d_y);
  if (st != EDGE_OK) return st;
  __half *xh = (__half *)edge_scratch(ctx, (size_t)m * k * sizeof(__half));
  if (xh == NULL) return EDGE_ERR_CUDA;
  if ((st = edge_launch_f32_to_f16(ctx, d_x, xh, (size_t)m * k)) != EDGE_OK) return st;
  float alpha = 1.f, beta = 0.f;
  if (d_bias != NULL) {
    if ((st = edge_launch_broadcast_bias(ctx, m, n, d_bias, d_y)) != EDGE_OK) return st;
    beta = 1.f;
  }
  // fp16 inputs, fp32 accumulation and output: tensor cores, no fp16 overflow in y.
  EDGE_BLAS(ctx, cublasGemmEx(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, d_w, CUDA_R_16F, k, xh,
                              CUDA_R_16F, k, &beta, d_y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  return EDGE_OK;
}

}  // extern "C"
