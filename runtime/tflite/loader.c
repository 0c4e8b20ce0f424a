//go:build tflite && cgo

// Loads the TensorFlow Lite C library at run time and forwards the C API calls that
// go-tflite makes to it. go-tflite links against -ltensorflowlite_c; edge satisfies that
// with an empty archive (linkstub/) and these forwarders instead, so the binary builds
// and starts without the library, and Open can say clearly when it is missing.

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tensorflow/lite/c/c_api_experimental.h"
#include "tensorflow/lite/delegates/xnnpack/xnnpack_delegate.h"
#include "loader.h"

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static void* lib;

// HIDDEN keeps the forwarders out of the dynamic symbol table, so the library's own
// calls to its exported functions still bind inside the library.
#define HIDDEN __attribute__((visibility("hidden")))

// FORWARD declares the pointer for one function and a forwarder that returns fail
// until the library is loaded.
#define FORWARD(ret, name, params, args, fail) \
  static ret(*p_##name) params;                \
  HIDDEN ret name params {                     \
    if (!p_##name) return fail;                \
    return p_##name args;                      \
  }
#define FORWARD_VOID(name, params, args) \
  static void(*p_##name) params;         \
  HIDDEN void name params {              \
    if (p_##name) p_##name args;         \
  }

FORWARD(const char*, TfLiteVersion, (void), (), "")
FORWARD(TfLiteModel*, TfLiteModelCreate, (const void* d, size_t n), (d, n), NULL)
FORWARD(TfLiteModel*, TfLiteModelCreateFromFile, (const char* p), (p), NULL)
FORWARD_VOID(TfLiteModelDelete, (TfLiteModel* m), (m))
FORWARD(TfLiteInterpreterOptions*, TfLiteInterpreterOptionsCreate, (void), (), NULL)
FORWARD_VOID(TfLiteInterpreterOptionsDelete, (TfLiteInterpreterOptions* o), (o))
FORWARD_VOID(TfLiteInterpreterOptionsSetNumThreads, (TfLiteInterpreterOptions* o, int32_t n), (o, n))
FORWARD_VOID(TfLiteInterpreterOptionsAddDelegate, (TfLiteInterpreterOptions* o, TfLiteDelegate* d), (o, d))
FORWARD_VOID(TfLiteInterpreterOptionsSetErrorReporter,
             (TfLiteInterpreterOptions* o, void (*r)(void*, const char*, va_list), void* u), (o, r, u))
FORWARD_VOID(TfLiteInterpreterOptionsSetUseNNAPI, (TfLiteInterpreterOptions* o, bool e), (o, e))
FORWARD_VOID(TfLiteInterpreterOptionsAddBuiltinOp,
             (TfLiteInterpreterOptions* o, TfLiteBuiltinOperator op, const TfLiteRegistration* r, int32_t lo, int32_t hi),
             (o, op, r, lo, hi))
FORWARD_VOID(TfLiteInterpreterOptionsAddCustomOp,
             (TfLiteInterpreterOptions* o, const char* n, const TfLiteRegistration* r, int32_t lo, int32_t hi),
             (o, n, r, lo, hi))
FORWARD(TfLiteInterpreter*, TfLiteInterpreterCreate, (const TfLiteModel* m, const TfLiteInterpreterOptions* o), (m, o), NULL)
FORWARD_VOID(TfLiteInterpreterDelete, (TfLiteInterpreter* i), (i))
FORWARD(int32_t, TfLiteInterpreterGetInputTensorCount, (const TfLiteInterpreter* i), (i), 0)
FORWARD(TfLiteTensor*, TfLiteInterpreterGetInputTensor, (const TfLiteInterpreter* i, int32_t n), (i, n), NULL)
FORWARD(TfLiteStatus, TfLiteInterpreterResizeInputTensor, (TfLiteInterpreter* i, int32_t n, const int* d, int32_t s),
        (i, n, d, s), kTfLiteError)
FORWARD(TfLiteStatus, TfLiteInterpreterAllocateTensors, (TfLiteInterpreter* i), (i), kTfLiteError)
FORWARD(TfLiteStatus, TfLiteInterpreterInvoke, (TfLiteInterpreter* i), (i), kTfLiteError)
FORWARD(TfLiteStatus, TfLiteInterpreterResetVariableTensors, (TfLiteInterpreter* i), (i), kTfLiteError)
FORWARD(int32_t, TfLiteInterpreterGetOutputTensorCount, (const TfLiteInterpreter* i), (i), 0)
FORWARD(const TfLiteTensor*, TfLiteInterpreterGetOutputTensor, (const TfLiteInterpreter* i, int32_t n), (i, n), NULL)
FORWARD(TfLiteType, TfLiteTensorType, (const TfLiteTensor* t), (t), kTfLiteNoType)
FORWARD(int32_t, TfLiteTensorNumDims, (const TfLiteTensor* t), (t), 0)
FORWARD(int32_t, TfLiteTensorDim, (const TfLiteTensor* t, int32_t i), (t, i), 0)
FORWARD(size_t, TfLiteTensorByteSize, (const TfLiteTensor* t), (t), 0)
FORWARD(void*, TfLiteTensorData, (const TfLiteTensor* t), (t), NULL)
FORWARD(const char*, TfLiteTensorName, (const TfLiteTensor* t), (t), "")
static const TfLiteQuantizationParams no_quantization;
FORWARD(TfLiteQuantizationParams, TfLiteTensorQuantizationParams, (const TfLiteTensor* t), (t), no_quantization)
FORWARD(TfLiteStatus, TfLiteTensorCopyFromBuffer, (TfLiteTensor* t, const void* d, size_t n), (t, d, n), kTfLiteError)
FORWARD(TfLiteStatus, TfLiteTensorCopyToBuffer, (const TfLiteTensor* t, void* d, size_t n), (t, d, n), kTfLiteError)
static const TfLiteXNNPackDelegateOptions no_xnnpack_options;
FORWARD(TfLiteXNNPackDelegateOptions, TfLiteXNNPackDelegateOptionsDefault, (void), (), no_xnnpack_options)
FORWARD(TfLiteDelegate*, TfLiteXNNPackDelegateCreate, (const TfLiteXNNPackDelegateOptions* o), (o), NULL)
FORWARD_VOID(TfLiteXNNPackDelegateDelete, (TfLiteDelegate* d), (d))

struct symbol {
  const char* name;
  void** slot;
  int optional;
};

#define SYM(name) {#name, (void**)&p_##name, 0}
#define OPTIONAL_SYM(name) {#name, (void**)&p_##name, 1}

static const struct symbol symbols[] = {
    SYM(TfLiteVersion),
    SYM(TfLiteModelCreate),
    SYM(TfLiteModelCreateFromFile),
    SYM(TfLiteModelDelete),
    SYM(TfLiteInterpreterOptionsCreate),
    SYM(TfLiteInterpreterOptionsDelete),
    SYM(TfLiteInterpreterOptionsSetNumThreads),
    SYM(TfLiteInterpreterOptionsAddDelegate),
    SYM(TfLiteInterpreterOptionsSetErrorReporter),
    OPTIONAL_SYM(TfLiteInterpreterOptionsSetUseNNAPI),
    OPTIONAL_SYM(TfLiteInterpreterOptionsAddBuiltinOp),
    OPTIONAL_SYM(TfLiteInterpreterOptionsAddCustomOp),
    SYM(TfLiteInterpreterCreate),
    SYM(TfLiteInterpreterDelete),
    SYM(TfLiteInterpreterGetInputTensorCount),
    SYM(TfLiteInterpreterGetInputTensor),
    SYM(TfLiteInterpreterResizeInputTensor),
    SYM(TfLiteInterpreterAllocateTensors),
    SYM(TfLiteInterpreterInvoke),
    OPTIONAL_SYM(TfLiteInterpreterResetVariableTensors),
    SYM(TfLiteInterpreterGetOutputTensorCount),
    SYM(TfLiteInterpreterGetOutputTensor),
    SYM(TfLiteTensorType),
    SYM(TfLiteTensorNumDims),
    SYM(TfLiteTensorDim),
    SYM(TfLiteTensorByteSize),
    SYM(TfLiteTensorData),
    SYM(TfLiteTensorName),
    SYM(TfLiteTensorQuantizationParams),
    SYM(TfLiteTensorCopyFromBuffer),
    SYM(TfLiteTensorCopyToBuffer),
    OPTIONAL_SYM(TfLiteXNNPackDelegateOptionsDefault),
    OPTIONAL_SYM(TfLiteXNNPackDelegateCreate),
    OPTIONAL_SYM(TfLiteXNNPackDelegateDelete),
};

int edge_tflite_load(const char* path, char* err, size_t errlen) {
  pthread_mutex_lock(&load_mu);
  if (lib) {
    pthread_mutex_unlock(&load_mu);
    return 1;
  }
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(err, errlen, "%s", dlerror());
    pthread_mutex_unlock(&load_mu);
    return 0;
  }
  void* found[sizeof(symbols) / sizeof(symbols[0])];
  for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
    found[i] = dlsym(h, symbols[i].name);
    if (!found[i] && !symbols[i].optional) {
      snprintf(err, errlen, "%s does not export %s", path, symbols[i].name);
      dlclose(h);
      pthread_mutex_unlock(&load_mu);
      return 0;
    }
  }
  for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
    *symbols[i].slot = found[i];
  }
  lib = h;
  pthread_mutex_unlock(&load_mu);
  return 1;
}

int edge_tflite_has_xnnpack(void) {
  return p_TfLiteXNNPackDelegateCreate != NULL && p_TfLiteXNNPackDelegateDelete != NULL &&
         p_TfLiteXNNPackDelegateOptionsDefault != NULL;
}
