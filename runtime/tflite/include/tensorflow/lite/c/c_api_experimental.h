/* edge's declaration of the experimental TensorFlow Lite 2.9 C API functions that
 * go-tflite's cgo code names and libtensorflowlite_c.so exports (checked with nm -D).
 * The npm package tfjs-tflite-node does not ship this header. */
#ifndef EDGE_TFLITE_C_API_EXPERIMENTAL_H_
#define EDGE_TFLITE_C_API_EXPERIMENTAL_H_

#include "tensorflow/lite/c/c_api.h"

#ifdef __cplusplus
extern "C" {
#endif

TfLiteStatus TfLiteInterpreterResetVariableTensors(TfLiteInterpreter* interpreter);
void TfLiteInterpreterOptionsAddBuiltinOp(TfLiteInterpreterOptions* options, TfLiteBuiltinOperator op,
                                          const TfLiteRegistration* registration, int32_t min_version,
                                          int32_t max_version);
void TfLiteInterpreterOptionsAddCustomOp(TfLiteInterpreterOptions* options, const char* name,
                                         const TfLiteRegistration* registration, int32_t min_version,
                                         int32_t max_version);
void TfLiteInterpreterOptionsSetUseNNAPI(TfLiteInterpreterOptions* options, bool enable);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_TFLITE_C_API_EXPERIMENTAL_H_ */
