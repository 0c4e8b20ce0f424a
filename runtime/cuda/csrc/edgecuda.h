// edgecuda.h: the C interface of libedgecuda.so, the CUDA half of edge's GPU backend.
//
// Every entry point returns an edge_status; on failure the context (when there is one)
// keeps a message saying what failed and with which arguments, read with
// edge_last_error. Every pointer named d_* is device memory; h_* is host memory.
// Matrices are row-major. Work is queued on the context's stream; entries that hand a
// result back to the host synchronise that stream before returning.
//
// The Go side (runtime/cuda/lib.go) mirrors these signatures; change both together.
#ifndef EDGECUDA_H
#define EDGECUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGE_API __attribute__((visibility("default")))

// Bumped whenever a signature changes, so the Go side can refuse a stale library.
#define EDGE_ABI_VERSION 1

typedef enum {
  EDGE_OK = 0,
  EDGE_ERR_ARGUMENT = 1,     // a null pointer, a negative size, an id out of range
  EDGE_ERR_CUDA = 2,         // the CUDA runtime reported an error
  EDGE_ERR_CUBLAS = 3,       // cuBLAS or cuBLASLt reported an error
  EDGE_ERR_NO_DEVICE = 4,    // no CUDA device (or no driver)
  EDGE_ERR_UNSUPPORTED = 5,  // the shapes or types are valid but this path cannot run them
} edge_status;

typedef enum { EDGE_F32 = 0, EDGE_F16 = 1, EDGE_I8 = 2 } edge_dtype;

typedef enum {
  EDGE_ACT_IDENTITY = 0,
  EDGE_ACT_RELU = 1,
  EDGE_ACT_GELU = 2,       // 0.5·x·(1+erf(x/√2))
  EDGE_ACT_GELU_TANH = 3,  // 0.5·x·(1+tanh(√(2/π)(x+0.044715x³)))
} edge_activation;

typedef struct edge_ctx edge_ctx;

// Arguments of one multi-head attention call (see edge_attention_*). q is [tq, heads·head_dim],
// k and v [tk, heads·head_dim], head h in columns h·head_dim.., out [tq, heads·head_dim]
// (contiguous). Rows of q and of k, v may be strided (ld_q, ld_kv), so q, k and v can be
// views of one fused [T, 3·heads·head_dim] projection.
typedef struct {
  const float *d_q, *d_k, *d_v;
  float *d_out;
  const float *d_bias;  // [heads, tq, tk] added to the scores, or NULL
  int32_t tq, tk, heads, head_dim;
  float scale;           // multiplies q·kᵀ
  int32_t causal;        // mask key j for query i when j > i + query_offset
  int32_t query_offset;  // keys before the first query (cached length while decoding)
  int32_t allow_tf32;    // prefill only: TF32 tensor cores for q·kᵀ and p·v
  int32_t ld_q, ld_kv;   // row strides in floats; 0 means heads·head_dim
} edge_attn_args;

// ---- library, devices, contexts (context.cu)
EDGE_API int32_t edge_abi_version(void);
EDGE_API const char *edge_status_name(int32_t status);
// Number of CUDA devices; msg gets the reason when it fails (msg may be NULL).
EDGE_API int32_t edge_device_count(int32_t *h_count, char *msg, int32_t msg_len);
EDGE_API int32_t edge_device_info(int32_t device, char *name, int32_t name_len, uint64_t *h_total_mem,
                                  int32_t *h_cc_major, int32_t *h_cc_minor, char *msg, int32_t msg_len);
// A context: a device, a stream, cuBLAS and cuBLASLt handles and scratch memory.
EDGE_API int32_t edge_ctx_create(int32_t device, edge_ctx **out, char *msg, int32_t msg_len);
EDGE_API void edge_ctx_destroy(edge_ctx *ctx);
// Copies the message of the last failure on ctx into buf (NUL-terminated); returns its length.
EDGE_API int32_t edge_last_error(const edge_ctx *ctx, char *buf, int32_t buf_len);
EDGE_API int32_t edge_sync(edge_ctx *ctx);
EDGE_API int32_t edge_mem_info(edge_ctx *ctx, uint64_t *h_free, uint64_t *h_total);

// ---- device memory (memory.cu)
EDGE_API int32_t edge_malloc(edge_ctx *ctx, uint64_t bytes, void **out);
EDGE_API int32_t edge_free(edge_ctx *ctx, void *d_ptr);
EDGE_API int32_t edge_memcpy_h2d(edge_ctx *ctx, void *d_dst, const void *h_src, uint64_t bytes);
EDGE_API int32_t edge_memcpy_d2h(edge_ctx *ctx, void *h_dst, const void *d_src, uint64_t bytes);
EDGE_API int32_t edge_memcpy_d2d(edge_ctx *ctx, void *d_dst, const void *d_src, uint64_t bytes);
EDGE_API int32_t edge_memset(edge_ctx *ctx, void *d_dst, int32_t value, uint64_t bytes);

// ---- conversions (convert.cu)
EDGE_API int32_t edge_f32_to_f16(edge_ctx *ctx, const float *d_src, void *d_dst, uint64_t n);
EDGE_API int32_t edge_f16_to_f32(edge_ctx *ctx, const void *d_src, float *d_dst, uint64_t n);

// ---- linear layers: d_y[m,n] = d_x[m,k] · Wᵀ + bias, W stored [n,k] (gemm_*.cu)
// fp32 weights; allow_tf32 lets cuBLAS use TF32 tensor cores.
EDGE_API int32_t edge_linear_f32(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                 const float *d_w, const float *d_bias, float *d_y, int32_t allow_tf32);
// fp16 weights: x is rounded to fp16, products accumulate in fp32, y is fp32.
EDGE_API int32_t edge_linear_f16(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                 const void *d_w, const float *d_bias, float *d_y);
// int8 weights with one scale per output row, int8 activations quantized per row at run
// time (W8A8), int32 accumulation through cuBLASLt (a plain kernel where cuBLASLt cannot).
EDGE_API int32_t edge_linear_w8a8(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                  const int8_t *d_w, const float *d_w_scales, const float *d_bias, float *d_y);
// int8 weights, fp32 activations (weight-only: the decode path of the language model).
EDGE_API int32_t edge_linear_w8(edge_ctx *ctx, int32_t m, int32_t n, int32_t k, const float *d_x,
                                const int8_t *d_w, const float *d_w_scales, const float *d_bias, float *d_y);
// How many int8 products ran through cuBLASLt and how many fell back to the plain
// kernel, with the last fallback's reason.
EDGE_API int32_t edge_int8_stats(const edge_ctx *ctx, int64_t *h_lt_calls, int64_t *h_fallbacks, char *reason,
                                 int32_t reason_len);
// Per-row symmetric int8 quantization as runtime/kernels.QuantizeRowSymmetric does it
// (exposed for tests): d_q[rows,cols], d_scales[rows].
EDGE_API int32_t edge_quantize_rows(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, int8_t *d_q,
                                    float *d_scales);

// ---- normalisation (layernorm.cu, rmsnorm.cu); d_y may equal d_x
EDGE_API int32_t edge_layer_norm(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, float *d_y,
                                 const float *d_weight, const float *d_bias, float eps);
EDGE_API int32_t edge_rms_norm(edge_ctx *ctx, int32_t rows, int32_t cols, const float *d_x, float *d_y,
                               const float *d_weight, float eps);

// ---- element-wise (activation.cu, add.cu, gated.cu), in place on d_x
EDGE_API int32_t edge_activate(edge_ctx *ctx, float *d_x, uint64_t n, int32_t act);
EDGE_API int32_t edge_add(edge_ctx *ctx, float *d_x, const float *d_y, uint64_t n);
// d_x = act(d_x) · d_y: the gated feed-forward (act = identity gives a plain product).
EDGE_API int32_t edge_gated_mul(edge_ctx *ctx, float *d_x, const float *d_y, uint64_t n, int32_t act);

// ---- attention (softmax.cu, attention_prefill.cu, attention_decode.cu)
// In place over [heads·tq, tk] rows: adds d_bias [heads,tq,tk] (or NULL), masks causally,
// normalises. Masked entries become 0.
EDGE_API int32_t edge_softmax(edge_ctx *ctx, float *d_x, int32_t heads, int32_t tq, int32_t tk,
                              const float *d_bias, int32_t causal, int32_t query_offset);
// Scores through cuBLAS batched GEMMs, then edge_softmax, then p·v: any shape.
EDGE_API int32_t edge_attention_prefill(edge_ctx *ctx, const edge_attn_args *args);
// One block per (head, query), scores in shared memory: few queries (decoding); fails
// with EDGE_ERR_UNSUPPORTED when tk does not fit shared memory.
EDGE_API int32_t edge_attention_decode(edge_ctx *ctx, const edge_attn_args *args);

// ---- generation helpers (kvcache.cu, embedding.cu, argmax.cu)
// Writes n rows of width floats from d_k, d_v at row pos of the caches [capacity, width].
EDGE_API int32_t edge_kv_append(edge_ctx *ctx, float *d_cache_k, float *d_cache_v, int32_t capacity,
                                int32_t width, int32_t pos, const float *d_k, const float *d_v, int32_t n);
// d_out[n, dim] = rows h_ids of the table [vocab, dim] (fp32, fp16, or int8 with d_row_scales).
EDGE_API int32_t edge_embedding(edge_ctx *ctx, const int32_t *h_ids, int32_t n, const void *d_table,
                                int32_t dtype, const float *d_row_scales, int32_t vocab, int32_t dim,
                                float *d_out);
// h_out[r] = the first index of the largest value of row r of d_x [rows, cols].
EDGE_API int32_t edge_argmax(edge_ctx *ctx, const float *d_x, int32_t rows, int32_t cols, int32_t *h_out);

#ifdef __cplusplus
}
#endif
#endif
