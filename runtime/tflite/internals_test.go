package tflite

// What the external tests (package tflite_test, which may import models/blip2 and so
// export real models) read of this package's internals.

const (
	OpBatchMatMul  = opBatchMatMul
	OpConv2D       = opConv2D
	OpFullyConnect = opFullyConnect
	OpGelu         = opGelu
	OpMean         = opMean
	OpRsqrt        = opRsqrt
	OpSoftmax      = opSoftmax
	SchemaVersion  = schemaVersion
	TypeInt8       = typeInt8
)

var OHWI = ohwi
