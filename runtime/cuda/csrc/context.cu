// context.cu: devices, contexts (stream, cuBLAS/cuBLASLt handles, scratch) and errors.
#include <stdlib.h>
#include <string.h>

#include "common.cuh"

static const size_t kLtWorkspaceBytes = 32u << 20;  // cuBLASLt's suggested upper bound on Hopper

int32_t edge_fail(edge_ctx *ctx, int32_t status, const char *fmt, ...) {
  if (ctx != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
  }
  return status;
}

static void put_msg(char *msg, int32_t len, const char *fmt, ...) {
  if (msg == NULL || len <= 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, (size_t)len, fmt, ap);
  va_end(ap);
}

void *edge_scratch(edge_ctx *ctx, size_t bytes) {
  if (bytes <= ctx->scratch_bytes) return ctx->scratch;
  // The old buffer may still be read by queued work.
  cudaError_t e = cudaStreamSynchronize(ctx->stream);
  if (e == cudaSuccess && ctx->scratch != NULL) e = cudaFree(ctx->scratch);
  ctx->scratch = NULL;
  ctx->scratch_bytes = 0;
  size_t want = bytes + bytes / 4;  // some headroom so a slowly growing op does not reallocate each call
  if (e == cudaSuccess) e = cudaMalloc(&ctx->scratch, want);
  if (e != cudaSuccess) {
    ctx->scratch = NULL;
    edge_fail(ctx, EDGE_ERR_CUDA, "scratch of %zu bytes: %s", want, cudaGetErrorString(e));
    return NULL;
  }
  ctx->scratch_bytes = want;
  return ctx->scratch;
}

extern "C" {

int32_t edge_abi_version(void) { return EDGE_ABI_VERSION; }

const char *edge_status_name(int32_t status) {
  switch (status) {
    case EDGE_OK:
      return "ok";
    case EDGE_ERR_ARGUMENT:
      return "bad argument";
    case EDGE_ERR_CUDA:
      return "CUDA error";
    case EDGE_ERR_CUBLAS:
      return "cuBLAS error";
    case EDGE_ERR_NO_DEVICE:
      return "no CUDA device";
    case EDGE_ERR_UNSUPPORTED:
      return "unsupported";
    default:
      return "unknown status";
  }
}

int32_t edge_device_count(int32_t *h_count, char *msg, int32_t msg_len) {
  if (h_count == NULL) return EDGE_ERR_ARGUMENT;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  *h_count = 0;
  if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
    put_msg(msg, msg_len, "%s", cudaGetErrorString(e));
    return EDGE_ERR_NO_DEVICE;
  }
  if (e != cudaSuccess) {
    put_msg(msg, msg_len, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
    return EDGE_ERR_CUDA;
  }
  *h_count = n;
  return EDGE_OK;
}

int32_t edge_device_info(int32_t device, char *name, int32_t name_len, uint64_t *h_total_mem, int32_t *h_cc_major,
                         int32_t *h_cc_minor, char *msg, int32_t msg_len) {
  if (name == NULL || name_len <= 0 || h_total_mem == NULL || h_cc_major == NULL || h_cc_minor == NULL)
    return EDGE_ERR_ARGUMENT;
  cudaDeviceProp p;
  cudaError_t e = cudaGetDeviceProperties(&p, device);
  if (e != cudaSuccess) {
    put_msg(msg, msg_len, "cudaGetDeviceProperties(%d): %s", device, cudaGetErrorString(e));
    return EDGE_ERR_CUDA;
  }
  snprintf(name, (size_t)name_len, "%s", p.name);
  *h_total_mem = (uint64_t)p.totalGlobalMem;
  *h_cc_major = p.major;
  *h_cc_minor = p.minor;
  return EDGE_OK;
}

int32_t edge_ctx_create(int32_t device, edge_ctx **out, char *msg, int32_t msg_len) {
  if (out == NULL) return EDGE_ERR_ARGUMENT;
  *out = NULL;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    put_msg(msg, msg_len, "no CUDA device: %s", e == cudaSuccess ? "the driver sees none" : cudaGetErrorString(e));
    return EDGE_ERR_NO_DEVICE;
  }
  if (device < 0 || device >= n) {
    put_msg(msg, msg_len, "device %d does not exist (%d present)", device, n);
    return EDGE_ERR_ARGUMENT;
  }
  edge_ctx *c = (edge_ctx *)calloc(1, sizeof(edge_ctx));
  if (c == NULL) {
    put_msg(msg, msg_len, "out of host memory");
    return EDGE_ERR_CUDA;
  }
  c->device = device;
  int32_t status = EDGE_OK;
  const char *step = "";
  cublasStatus_t bs = CUBLAS_STATUS_SUCCESS;
  if ((e = cudaSetDevice(device)) != cudaSuccess) {
    step = "cudaSetDevice";
  } else if ((e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess) {
    step = "cudaStreamCreate";
  } else if ((bs = cublasCreate(&c->blas)) != CUBLAS_STATUS_SUCCESS) {
    step = "cublasCreate";
  } else if ((bs = cublasSetStream(c->blas, c->stream)) != CUBLAS_STATUS_SUCCESS) {
    step = "cublasSetStream";
  } else if ((bs = cublasLtCreate(&c->lt)) != CUBLAS_STATUS_SUCCESS) {
    step = "cublasLtCreate";
  } else if ((e = cudaMalloc(&c->lt_workspace, kLtWorkspaceBytes)) != cudaSuccess) {
    step = "cudaMalloc(cuBLASLt workspace)";
  } else {
    c->lt_workspace_bytes = kLtWorkspaceBytes;
    // cuBLAS may use its own workspace; give it the same one so it never allocates
    // inside a call (it is only used on this stream, never concurrently with Lt).
    bs = cublasSetWorkspace(c->blas, c->lt_workspace, kLtWorkspaceBytes);
    if (bs != CUBLAS_STATUS_SUCCESS) step = "cublasSetWorkspace";
  }
  if (*step != '\0') {
    if (bs != CUBLAS_STATUS_SUCCESS) {
      put_msg(msg, msg_len, "%s: %s", step, cublasGetStatusString(bs));
      status = EDGE_ERR_CUBLAS;
    } else {
      put_msg(msg, msg_len, "%s: %s", step, cudaGetErrorString(e));
      status = EDGE_ERR_CUDA;
    }
    edge_ctx_destroy(c);
    return status;
  }
  *out = c;
  return EDGE_OK;
}

void edge_ctx_destroy(edge_ctx *ctx) {
  if (ctx == NULL) return;
  cudaSetDevice(ctx->device);
  if (ctx->stream != NULL) cudaStreamSynchronize(ctx->stream);
  if (ctx->scratch != NULL) cudaFree(ctx->scratch);
  if (ctx->lt != NULL) cublasLtDestroy(ctx->lt);
  if (ctx->blas != NULL) cublasDestroy(ctx->blas);
  if (ctx->lt_workspace != NULL) cudaFree(ctx->lt_workspace);
  if (ctx->stream != NULL) cudaStreamDestroy(ctx->stream);
  free(ctx);
}

int32_t edge_last_error(const edge_ctx *ctx, char *buf, int32_t buf_len) {
  if (ctx == NULL || buf == NULL || buf_len <= 0) return 0;
  snprintf(buf, (size_t)buf_len, "%s", ctx->msg);
  return (int32_t)strnlen(buf, (size_t)buf_len);
}

int32_t edge_sync(edge_ctx *ctx) {
  EDGE_ENTER(ctx);
  EDGE_CUDA(ctx, cudaStreamSynchronize(ctx->stream));
  return EDGE_OK;
}

int32_t edge_mem_info(edge_ctx *ctx, uint64_t *h_free, uint64_t *h_total) {
  EDGE_ENTER(ctx);
  EDGE_REQUIRE(ctx, h_free != NULL && h_total != NULL, "edge_mem_info: null output");
  size_t f = 0, t = 0;
  EDGE_CUDA(ctx, cudaMemGetInfo(&f, &t));
  *h_free = f;
  *h_total = t;
  return EDGE_OK;
}

}  // extern "C"
