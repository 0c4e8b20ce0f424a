//go:build tflite && cgo

#ifndef EDGE_TFLITE_LOADER_H_
#define EDGE_TFLITE_LOADER_H_

#include <stddef.h>

// edge_tflite_load opens the TFLite C library at path (once per process) and binds the
// forwarders; it returns 0 and writes the reason into err when it cannot.
int edge_tflite_load(const char* path, char* err, size_t errlen);
// edge_tflite_has_xnnpack reports whether the loaded library exports the XNNPack delegate.
int edge_tflite_has_xnnpack(void);

#endif
