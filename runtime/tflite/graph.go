package tflite

import (
	"encoding/binary"
	"fmt"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
)

// graph is one TFLite subgraph under construction: tensors with their shapes,
// constant buffers, operators in execution order.
type graph struct {
	tensors []tensor
	buffers [][]byte // buffers[0] is the empty sentinel the schema requires
	ops     []operator
	codes   []opcode
	inputs  []int32
	outputs []int32
	names   map[string]int // name → uses, to keep tensor names unique
}

type tensor struct {
	name   string
	shape  []int32
	typ    int8
	buffer uint32
	// Per-channel int8 quantization along dimension 0 (nil for float tensors).
	scales []float32
}

type operator struct {
	opcode    uint32
	inputs    []int32
	outputs   []int32
	optType   byte
	optWriter optionWriter
}

type opcode struct{ code, version int32 }

func newGraph() *graph {
	return &graph{buffers: [][]byte{nil}, names: map[string]int{}}
}

func (g *graph) unique(name string) string {
	n := g.names[name]
	g.names[name] = n + 1
	if n == 0 {
		return name
	}
	return fmt.Sprintf("%s_%d", name, n)
}

func (g *graph) shape(t int32) []int32 { return g.tensors[t].shape }

func (g *graph) addTensor(t tensor) int32 {
	t.name = g.unique(t.name)
	g.tensors = append(g.tensors, t)
	return int32(len(g.tensors) - 1)
}

// activation declares a float tensor computed at run time.
func (g *graph) activation(name string, shape ...int32) int32 {
	return g.addTensor(tensor{name: name, shape: shape, typ: typeFloat32})
}

func (g *graph) buffer(data []byte) uint32 {
	g.buffers = append(g.buffers, data)
	return uint32(len(g.buffers) - 1)
}

func (g *graph) constF32(name string, data []float32, shape ...int32) int32 {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return g.addTensor(tensor{name: name, shape: shape, typ: typeFloat32, buffer: g.buffer(raw)})
}

func (g *graph) constI32(name string, data ...int32) int32 {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
	}
	return g.addTensor(tensor{name: name, shape: []int32{int32(len(data))}, typ: typeInt32, buffer: g.buffer(raw)})
}

// constI8 is an int8 matrix with one symmetric scale per row (zero points 0).
func (g *graph) constI8(name string, data []int8, scales []float32, shape ...int32) int32 {
	raw := make([]byte, len(data))
	for i, v := range data {
		raw[i] = byte(v)
	}
	return g.addTensor(tensor{name: name, shape: shape, typ: typeInt8, buffer: g.buffer(raw), scales: scales})
}

func (g *graph) op(code, version int32, inputs, outputs []int32, optType byte, opts optionWriter) {
	idx := -1
	for i, c := range g.codes {
		if c == (opcode{code, version}) {
			idx = i
		}
	}
	if idx < 0 {
		g.codes = append(g.codes, opcode{code, version})
		idx = len(g.codes) - 1
	}
	g.ops = append(g.ops, operator{opcode: uint32(idx), inputs: inputs, outputs: outputs, optType: optType, optWriter: opts})
}

// serialize writes the model flatbuffer with one subgraph and a signature naming its
// input and output.
func (g *graph) serialize(description, inputName, outputName string) ([]byte, error) {
	size := 1 << 16
	for _, d := range g.buffers {
		size += len(d) + 32
	}
	if size > math.MaxInt32 {
		return nil, fmt.Errorf("tflite: the model needs %d bytes, over the 2 GiB a flatbuffer can address", size)
	}
	b := flatbuffers.NewBuilder(size)

	// Buffers first: they are the bulk, and land at the end of the file.
	bufs := make([]flatbuffers.UOffsetT, len(g.buffers))
	for i := len(g.buffers) - 1; i >= 0; i-- {
		var data flatbuffers.UOffsetT
		if len(g.buffers[i]) > 0 {
			data = alignedBytes(b, g.buffers[i])
		}
		b.StartObject(bufferFields)
		if data != 0 {
			b.PrependUOffsetTSlot(bufferData, data, 0)
		}
		bufs[i] = b.EndObject()
	}
	buffers := b.CreateVectorOfTables(bufs)

	tensors := make([]flatbuffers.UOffsetT, len(g.tensors))
	for i, t := range g.tensors {
		name := b.CreateString(t.name)
		shape := int32Vector(b, t.shape)
		var quant flatbuffers.UOffsetT
		if t.scales != nil {
			scale := float32Vector(b, t.scales)
			zero := int64Vector(b, make([]int64, len(t.scales)))
			b.StartObject(quantFields)
			b.PrependUOffsetTSlot(quantScale, scale, 0)
			b.PrependUOffsetTSlot(quantZeroPoint, zero, 0)
			b.PrependInt32Slot(quantDimension, 0, 0)
			quant = b.EndObject()
		}
		b.StartObject(tensorFields)
		b.PrependUOffsetTSlot(tensorShape, shape, 0)
		b.PrependUOffsetTSlot(tensorName, name, 0)
		if quant != 0 {
			b.PrependUOffsetTSlot(tensorQuantization, quant, 0)
		}
		b.PrependUint32Slot(tensorBuffer, t.buffer, 0)
		b.PrependInt8Slot(tensorType, t.typ, 0)
		tensors[i] = b.EndObject()
	}
	tensorVec := b.CreateVectorOfTables(tensors)

	ops := make([]flatbuffers.UOffsetT, len(g.ops))
	for i, o := range g.ops {
		ins := int32Vector(b, o.inputs)
		outs := int32Vector(b, o.outputs)
		var opts flatbuffers.UOffsetT
		if o.optWriter != nil {
			opts = o.optWriter(b)
		}
		b.StartObject(operatorFields)
		b.PrependUint32Slot(operatorOpcodeIndex, o.opcode, 0)
		b.PrependUOffsetTSlot(operatorInputs, ins, 0)
		b.PrependUOffsetTSlot(operatorOutputs, outs, 0)
		if opts != 0 {
			b.PrependUOffsetTSlot(operatorOptions, opts, 0)
			b.PrependByteSlot(operatorOptionsType, o.optType, optNone)
		}
		ops[i] = b.EndObject()
	}
	opVec := b.CreateVectorOfTables(ops)
	inputs := int32Vector(b, g.inputs)
	outputs := int32Vector(b, g.outputs)
	sgName := b.CreateString("main")
	b.StartObject(subgraphFields)
	b.PrependUOffsetTSlot(subgraphTensors, tensorVec, 0)
	b.PrependUOffsetTSlot(subgraphInputs, inputs, 0)
	b.PrependUOffsetTSlot(subgraphOutputs, outputs, 0)
	b.PrependUOffsetTSlot(subgraphOperators, opVec, 0)
	b.PrependUOffsetTSlot(subgraphName, sgName, 0)
	subgraphs := b.CreateVectorOfTables([]flatbuffers.UOffsetT{b.EndObject()})

	codes := make([]flatbuffers.UOffsetT, len(g.codes))
	for i, c := range g.codes {
		b.StartObject(opcodeFields)
		// Readers take the larger of the two fields; the old byte one saturates.
		b.PrependInt8Slot(opcodeDeprecatedBuiltin, int8(min(c.code, placeholderForGreaterOpCodes)), 0)
		b.PrependInt32Slot(opcodeVersion, c.version, 1)
		b.PrependInt32Slot(opcodeBuiltin, c.code, 0)
		codes[i] = b.EndObject()
	}
	codeVec := b.CreateVectorOfTables(codes)

	tensorMap := func(name string, index int32) flatbuffers.UOffsetT {
		n := b.CreateString(name)
		b.StartObject(tensorMapFields)
		b.PrependUOffsetTSlot(tensorMapName, n, 0)
		b.PrependUint32Slot(tensorMapIndex, uint32(index), 0)
		return b.EndObject()
	}
	sigIn := b.CreateVectorOfTables([]flatbuffers.UOffsetT{tensorMap(inputName, g.inputs[0])})
	sigOut := b.CreateVectorOfTables([]flatbuffers.UOffsetT{tensorMap(outputName, g.outputs[0])})
	key := b.CreateString("serving_default")
	b.StartObject(sigFields)
	b.PrependUOffsetTSlot(sigInputs, sigIn, 0)
	b.PrependUOffsetTSlot(sigOutputs, sigOut, 0)
	b.PrependUOffsetTSlot(sigKey, key, 0)
	b.PrependUint32Slot(sigSubgraph, 0, 0)
	sigs := b.CreateVectorOfTables([]flatbuffers.UOffsetT{b.EndObject()})

	desc := b.CreateString(description)
	b.StartObject(modelFields)
	b.PrependUint32Slot(modelVersion, schemaVersion, 0)
	b.PrependUOffsetTSlot(modelOperatorCodes, codeVec, 0)
	b.PrependUOffsetTSlot(modelSubgraphs, subgraphs, 0)
	b.PrependUOffsetTSlot(modelDescription, desc, 0)
	b.PrependUOffsetTSlot(modelBuffers, buffers, 0)
	b.PrependUOffsetTSlot(modelSignatureDefs, sigs, 0)
	b.FinishWithFileIdentifier(b.EndObject(), []byte(fileIdentifier))
	return b.FinishedBytes(), nil
}
