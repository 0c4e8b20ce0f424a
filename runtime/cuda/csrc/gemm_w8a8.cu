// gemm_w8a8.cu: int8 weights × int8 activations (quantized per row at run time), int32
// accumulation through cuBLASLt, then y = s_x[r]·s_w[j]·acc + bias[j] (the CPU's order).
//
// Layouts (column-major views, see gemm.cu): A = W stored k×n with op T, B = x_q k×m,
// C = acc n×m, the "TN" form cuBLASLt's int8 kernels want. Where cuBLASLt offers no
// algorithm (odd sizes) or fails, a plain tiled kernel computes acc instead; the context
// counts both (edge_int8_stats).
#include "common.cuh"

#define I8_TILE 16
#define I8_KC 64

__global__ void gemm_i8_fallback_kernel(int m, int n, int k, const int8_t *__restrict__ x,
                                        const int8_t *__restrict__ w, int32_t *__restrict__ acc) {
  __shared__ int8_t xs[I8_TILE][I8_KC];
  __shared__ int8_t ws[I8_TILE][I8_KC];
  int tx = threadIdx.x, ty = threadIdx.y;
  int r = blockIdx.y * I8_TILE + ty, j = blockIdx.x * I8_TILE + tx;
  int32_t s = 0;
  for (int k0 = 0; k0 < k; k0 += I8_KC) {
    for (int t = ty * I8_TILE + tx; t < I8_TILE * I8_KC; t += I8_TILE * I8_TILE) {
      int row = t / I8_KC, kk = t % I8_KC;
      int gr = blockIdx.y * I8_TILE + row, gj = blockIdx.x * I8_TILE + row;
      xs[row][kk] = (gr < m && k0 + kk < k) ? x[(size_t)gr * k + k0 + kk] : (int8_t)0;
      ws[row][kk] = (gj < n && k0 + kk < k) ? w[(size_t)gj * k + k0 + kk] : (int8_t)0;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < I8_KC; ++kk) s += (int32_t)xs[ty][kk] * (int32_t)ws[tx][kk];
    __syncthreads();
  }
  if (r < m && j < n) acc[(size_t)r * n + j] = s;
}

__global__ void dequant_kernel(int m, int n, const int32_t *__restrict__ acc, const float *__restrict__ sx,
                               const float *__restrict__ sw, const float *__restrict__ bias, float *__restrict__ y) {
  size_t total = (size_t)m * n;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
    int r = (int)(i / n), j = (int)(i % n);
    float v = __fmul_rn(__fmul_rn(sx[r], sw[j]), (float)acc[i]);
    y[i] = bias != NULL ? v + bias[j] : v;
  }
}

// lt_int8 runs acc = x_q·w_qᵀ through cuBLASLt. It returns false, with the reason in
// ctx->lt_int8_reason, when cuBLASLt cannot (no algorithm for the shape, or an error), so
// the caller falls back to the plain kernel: int8 through cuBLASLt where possible.
static bool lt_int8(edge_ctx *ctx, int m, int n, int k, const int8_t *xq, const int8_t *w, int32_t *acc) {
  if (k % 4 != 0 || n % 4 != 0) {  // IMMA needs leading dimensions in 4s
    snprintf(ctx->lt_int8_reason, sizeof ctx->lt_int8_reason, "n=%d or k=%d is not a multiple of 4", n, k);
    return false;
  }
  cublasLtMatmulDesc_t op = NULL;
  cublasLtMatrixLayout_t a = NULL, b = NULL, c = NULL;
  cublasLtMatmulPreference_t pref = NULL;
  bool ok = false;
  cublasStatus_t s;
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  size_t ws = ctx->lt_workspace_bytes;
  cublasLtMatmulHeuristicResult_t heur;
  int found = 0;
  int32_t alpha = 1, beta = 0;
#define LT(call)                                                                                            \
  do {                                                                                                      \
    s = (call);                                                                                             \
    if (s != CUBLAS_STATUS_SUCCESS) {                                                                       \
      snprintf(ctx->lt_int8_reason, sizeof ctx->lt_int8_reason, "%s: %s (m=%d n=%d k=%d)", #call,           \
               cublasGetStatusString(s), m, n, k);                                                          \
      goto done;                                                                                            \
    }                                                                                                       \
  } while (0)
  LT(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32I, CUDA_R_32I));
  LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  LT(cublasLtMatrixLayoutCreate(&a, CUDA_R_8I, k, n, k));
  LT(cublasLtMatrixLayoutCreate(&b, CUDA_R_8I, k, m, k));
  LT(cublasLtMatrixLayoutCreate(&c, CUDA_R_32I, n, m, n));
  LT(cublasLtMatmulPreferenceCreate(&pref));
  LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  LT(cublasLtMatmulAlgoGetHeuristic(ctx->lt, op, a, b, c, c, pref, 1, &heur, &found));
  if (found == 0) {
    snprintf(ctx->lt_int8_reason, sizeof ctx->lt_int8_reason, "no cuBLASLt algorithm (m=%d n=%d k=%d)", m, n, k);
    goto done;
  }
  LT(cublasLtMatmul(ctx->lt, op, &alpha, w, a, xq, b, &beta, acc, c, acc, c, &heur.algo, ctx->lt_workspace, ws,
                    ctx->stream));
#undef LT
  ok = true;
done:
  if (pref) cublasLtMatmulPreferenceDestroy(pref);
  if (c) cublasLtMatrixLayoutDestroy(c);
  if (b) cublasLtMatrixLayoutDestroy(b);
  if (a) cublasLtMatrixLayoutDestroy(a);
  if (op) cublasLtMatmulDescDestroy(op);
  return ok;
}

extern "C" int32_t edge_linear_w8a8(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                    const int8_t *d_w, const float *d_w_scales, const float *d_bias, float *d_y) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, m > 0 && n > 0 && k > 0, "edge_linear_w8a8: shape m=%d n=%d k=%d must be positive", m, n, k);
  EDGE_REQUIRE(ctx, d_x != NULL && d_w != NULL && d_w_scales != NULL && d_y != NULL,
               "edge_linear_w8a8: null pointer (x %p, w %p, scales %p, y %p)", d_x, d_w, d_w_scales, d_y);
  size_t qx_bytes = edge_align((size_t)m * k), sx_bytes = edge_align((size_t)m * sizeof(float));
  size_t acc_bytes = edge_align((size_t)m * n * sizeof(int32_t));
  char *scratch = (char *)edge_scratch(ctx, qx_bytes + sx_bytes + acc_bytes);
  if (scratch == NULL) return EDGE_ERR_CUDA;
  int8_t *qx = (int8_t *)scratch;
  float *sx = (float *)(scratch + qx_bytes);
  int32_t *acc = (int32_t *)(scratch + qx_bytes + sx_bytes);
  int32_t st = edge_launch_quantize_rows(ctx, m, k, d_x, qx, sx);
  if (st != EDGE_OK) return st;
  if (lt_int8(ctx, m, n, k, qx, d_w, acc)) {
    ctx->lt_int8_calls++;
  } else {
    ctx->lt_int8_fallbacks++;
    dim3 block(I8_TILE, I8_TILE), grid((n + I8_TILE - 1) / I8_TILE, (m + I8_TILE - 1) / I8_TILE);
    gemm_i8_fallback_kernel<<<grid, block, 0, ctx->stream>>>(m, n, k, qx, d_w, acc);
    EDGE_LAUNCHED(ctx, "gemm_i8_fallback");
  }
  size_t total = (size_t)m * n;
  dequant_kernel<<<edge_blocks(total, 256), 256, 0, ctx->stream>>>(m, n, acc, sx, d_w_scales, d_bias, d_y);
  EDGE_LAUNCHED(ctx, "dequant");
  return EDGE_OK;
}

extern "C" int32_t edge_int8_stats(const edge_ctx *ctx, int64_t *h_lt_calls, int64_t *h_fallbacks, char *reason,
                                   int32_t reason_len) {
  EDGE_CHECK_CTX(ctx);
  if (h_lt_calls == NULL || h_fallbacks == NULL) return EDGE_ERR_ARGUMENT;
  *h_lt_calls = ctx->lt_int8_calls;
  *h_fallbacks = ctx->lt_int8_fallbacks;
  if (reason != NULL && reason_len > 0) snprintf(reason, (size_t)reason_len, "%s", ctx->lt_int8_reason);
  return EDGE_OK;
}
