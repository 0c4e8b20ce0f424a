/* edge's declaration of the XNNPack delegate entry points of TensorFlow Lite 2.9's C
 * library. In that build TfLiteXNNPackDelegateOptionsDefault returns an 8-byte struct
 * (its code is `xor eax,eax; ret`): the thread count and a flags word. */
#ifndef EDGE_TFLITE_XNNPACK_DELEGATE_H_
#define EDGE_TFLITE_XNNPACK_DELEGATE_H_

#include "tensorflow/lite/c/edge_tflite_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t num_threads; /* 0 or less: no thread pool */
  uint32_t flags;
} TfLiteXNNPackDelegateOptions;

TfLiteXNNPackDelegateOptions TfLiteXNNPackDelegateOptionsDefault(void);
TfLiteDelegate* TfLiteXNNPackDelegateCreate(const TfLiteXNNPackDelegateOptions* options);
void TfLiteXNNPackDelegateDelete(TfLiteDelegate* delegate);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_TFLITE_XNNPACK_DELEGATE_H_ */
