// attention_prefill.cu: multi-head attention for any number of queries, as three steps:
// scores S_h = scale·Q_h·K_hᵀ (one strided-batched GEMM over heads), softmax with bias and
// causal mask (softmax.cu), O_h = P_h·V_h (a second batched GEMM).
//
// Head h of q [tq, H·D] (rows ld_q apart) is the column-major D×tq matrix at q + h·D with
// leading dimension ld_q, so heads are batches with stride D and no copies are made. In
// column-major terms:
//   Sᵀ (tk×tq, ld tk)  = K_hᵀ (op T on D×tk, ld ld_kv) · Q_h (D×tq, ld ld_q)
//   O_hᵀ (D×tq, ld H·D) = V_h (D×tk, ld ld_kv)          · Pᵀ (tk×tq, ld tk)
#include "common.cuh"

int32_t edge_check_attn(edge_ctx *ctx, const char *what, const edge_attn_args *a) {
  EDGE_REQUIRE(ctx, a != NULL, "%s: null arguments", what);
  EDGE_REQUIRE(ctx, a->tq > 0 && a->tk > 0 && a->heads > 0 && a->head_dim > 0,
               "%s: shape tq=%d tk=%d heads=%d head_dim=%d must be positive", what, a->tq, a->tk, a->heads,
               a->head_dim);
  EDGE_REQUIRE(ctx, a->d_q != NULL && a->d_k != NULL && a->d_v != NULL && a->d_out != NULL,
               "%s: null pointer (q %p, k %p, v %p, out %p)", what, a->d_q, a->d_k, a->d_v, a->d_out);
  EDGE_REQUIRE(ctx, !a->causal || a->query_offset >= 0, "%s: negative query offset %d", what, a->query_offset);
  EDGE_REQUIRE(ctx, (int64_t)a->heads * a->head_dim <= 1 << 20, "%s: width %d×%d is implausible", what, a->heads,
               a->head_dim);
  int32_t w = a->heads * a->head_dim;
  EDGE_REQUIRE(ctx, (a->ld_q == 0 || a->ld_q >= w) && (a->ld_kv == 0 || a->ld_kv >= w),
               "%s: row strides ld_q=%d ld_kv=%d are narrower than the width %d", what, a->ld_q, a->ld_kv, w);
  return EDGE_OK;
}

extern "C" int32_t edge_attention_prefill(edge_ctx *ctx, const edge_attn_args *a) {
  EDGE_ENTER(ctx);
  int32_t st = edge_check_attn(ctx, "edge_attention_prefill", a);
  if (st != EDGE_OK) return st;
  int h = a->heads, d = a->head_dim, tq = a->tq, tk = a->tk, w = h * d;
  int ldq = a->ld_q ? a->ld_q : w, ldkv = a->ld_kv ? a->ld_kv : w;
  float *scores = (float *)edge_scratch(ctx, (size_t)h * tq * tk * sizeof(float));
  if (scores == NULL) return EDGE_ERR_CUDA;
  cublasComputeType_t compute = a->allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  float scale = a->scale, one = 1.f, zero = 0.f;
  EDGE_BLAS(ctx, cublasGemmStridedBatchedEx(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, tk, tq, d, &scale, a->d_k,
                                            CUDA_R_32F, ldkv, d, a->d_q, CUDA_R_32F, ldq, d, &zero, scores, CUDA_R_32F,
                                            tk, (long long)tq * tk, h, compute, CUBLAS_GEMM_DEFAULT));
  if ((st = edge_launch_softmax(ctx, scores, h, tq, tk, a->d_bias, a->causal, a->query_offset)) != EDGE_OK)
    return st;
  EDGE_BLAS(ctx, cublasGemmStridedBatchedEx(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, d, tq, tk, &one, a->d_v,
                                            CUDA_R_32F, ldkv, d, scores, CUDA_R_32F, tk, (long long)tq * tk, &zero,
                                            a->d_out, CUDA_R_32F, w, d, h, compute, CUBLAS_GEMM_DEFAULT));
  return EDGE_OK;
}
