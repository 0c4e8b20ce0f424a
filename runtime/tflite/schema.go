package tflite

import (
	flatbuffers "github.com/google/flatbuffers/go"
)

// The parts of TFLite's schema (tensorflow/lite/schema/schema.fbs, version 3) this
// package writes and reads, written by hand against the flatbuffers builder. Field
// numbers are the declaration order in the schema; a union takes two slots (its type,
// then its value).

const (
	schemaVersion  = 3
	fileIdentifier = "TFL3"
)

// Tensor element types (enum TensorType).
const (
	typeFloat32 int8 = 0
	typeInt32   int8 = 2
	typeInt8    int8 = 9
)

// Builtin operator codes (enum BuiltinOperator).
const (
	opAdd           int32 = 0
	opConcatenation int32 = 2
	opConv2D        int32 = 3
	opFullyConnect  int32 = 9
	opMul           int32 = 18
	opRelu          int32 = 19
	opReshape       int32 = 22
	opSoftmax       int32 = 25
	opTranspose     int32 = 39
	opMean          int32 = 40
	opSub           int32 = 41
	opRsqrt         int32 = 76
	opBatchMatMul   int32 = 126
	opGelu          int32 = 150
	// placeholderForGreaterOpCodes is the largest code the old byte field can carry.
	placeholderForGreaterOpCodes int32 = 127
)

// Union tags of BuiltinOptions (1-based position in the union).
const (
	optNone          byte = 0
	optConv2D        byte = 1
	optFullyConnect  byte = 8
	optSoftmax       byte = 9
	optConcatenation byte = 10
	optAdd           byte = 11
	optReshape       byte = 17
	optMul           byte = 21
	optTranspose     byte = 26
	optReducer       byte = 27
	optSub           byte = 28
	optBatchMatMul   byte = 101
	optGelu          byte = 116
)

// Field slots of the tables written.
const (
	// Model
	modelVersion       = 0
	modelOperatorCodes = 1
	modelSubgraphs     = 2
	modelDescription   = 3
	modelBuffers       = 4
	modelSignatureDefs = 7
	modelFields        = 8
	// OperatorCode
	opcodeDeprecatedBuiltin = 0
	opcodeVersion           = 2
	opcodeBuiltin           = 3
	opcodeFields            = 4
	// SubGraph
	subgraphTensors   = 0
	subgraphInputs    = 1
	subgraphOutputs   = 2
	subgraphOperators = 3
	subgraphName      = 4
	subgraphFields    = 5
	// Tensor
	tensorShape        = 0
	tensorType         = 1
	tensorBuffer       = 2
	tensorName         = 3
	tensorQuantization = 4
	tensorFields       = 6
	// QuantizationParameters
	quantScale     = 2
	quantZeroPoint = 3
	quantDimension = 6
	quantFields    = 7
	// Buffer
	bufferData   = 0
	bufferFields = 1
	// Operator
	operatorOpcodeIndex = 0
	operatorInputs      = 1
	operatorOutputs     = 2
	operatorOptionsType = 3
	operatorOptions     = 4
	operatorFields      = 5
	// TensorMap
	tensorMapName   = 0
	tensorMapIndex  = 1
	tensorMapFields = 2
	// SignatureDef
	sigInputs   = 0
	sigOutputs  = 1
	sigKey      = 2
	sigSubgraph = 4
	sigFields   = 5
)

// optionWriter writes one builtin options table and returns its offset. It runs before
// the operator table starts, as flatbuffers wants children written first.
type optionWriter func(b *flatbuffers.Builder) flatbuffers.UOffsetT

func int32Vector(b *flatbuffers.Builder, v []int32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(v[i])
	}
	return b.EndVector(len(v))
}

func float32Vector(b *flatbuffers.Builder, v []float32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependFloat32(v[i])
	}
	return b.EndVector(len(v))
}

func int64Vector(b *flatbuffers.Builder, v []int64) flatbuffers.UOffsetT {
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt64(v[i])
	}
	return b.EndVector(len(v))
}

// alignedBytes writes a ubyte vector whose data starts on a 16-byte boundary of the
// finished file (Buffer.data is force_align: 16), so constant tensors can be used in place.
func alignedBytes(b *flatbuffers.Builder, data []byte) flatbuffers.UOffsetT {
	b.Prep(16, len(data))
	return b.CreateByteVector(data)
}

// Options tables of the operators used.

func fullyConnectedOptions(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	b.StartObject(4) // fused_activation_function, weights_format, keep_num_dims, asymmetric_quantize_inputs
	return b.EndObject()
}

func softmaxOptions(beta float32) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		b.StartObject(1)
		b.PrependFloat32Slot(0, beta, 0)
		return b.EndObject()
	}
}

func concatenationOptions(axis int32) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		b.StartObject(2) // axis, fused_activation_function
		b.PrependInt32Slot(0, axis, 0)
		return b.EndObject()
	}
}

// activationOptions is AddOptions, MulOptions and SubOptions with no fused activation.
func activationOptions(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	b.StartObject(1)
	return b.EndObject()
}

func reshapeOptions(shape []int32) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		v := int32Vector(b, shape)
		b.StartObject(1)
		b.PrependUOffsetTSlot(0, v, 0)
		return b.EndObject()
	}
}

func emptyOptions(b *flatbuffers.Builder) flatbuffers.UOffsetT {
	b.StartObject(0)
	return b.EndObject()
}

func reducerOptions(keepDims bool) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		b.StartObject(1)
		b.PrependBoolSlot(0, keepDims, false)
		return b.EndObject()
	}
}

func batchMatMulOptions(adjX, adjY bool) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		b.StartObject(3) // adj_x, adj_y, asymmetric_quantize_inputs
		b.PrependBoolSlot(0, adjX, false)
		b.PrependBoolSlot(1, adjY, false)
		return b.EndObject()
	}
}

func geluOptions(approximate bool) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		b.StartObject(1)
		b.PrependBoolSlot(0, approximate, false)
		return b.EndObject()
	}
}

// conv2DOptions: VALID padding with equal strides, no dilation, no fused activation.
func conv2DOptions(stride int32) optionWriter {
	return func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		const paddingValid = 1
		b.StartObject(6) // padding, stride_w, stride_h, fused_activation_function, dilation_w, dilation_h
		b.PrependInt32Slot(1, stride, 0)
		b.PrependInt32Slot(2, stride, 0)
		b.PrependInt32Slot(4, 1, 1)
		b.PrependInt32Slot(5, 1, 1)
		b.PrependInt8Slot(0, paddingValid, 0)
		return b.EndObject()
	}
}
