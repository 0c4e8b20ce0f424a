package blip2

import (
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/quant"
)

// Need is the memory a checkpoint takes once loaded and running, estimated from its
// config and safetensors headers before any weight is read, so that a machine too
// small can refuse it with a message instead of being killed by the kernel halfway.
type Need struct {
	// Weights is what the weights keep: heap, and the mapped file pages that float32
	// and int8 matrices are used from in place (they are read on every pass, so they
	// must stay resident), twice over where the backend keeps a device copy in the
	// same memory.
	Weights int64
	// Loading is the most that loading holds beside the weights: the largest tensor it
	// converts (widened or quantized), while its stored pages are still resident.
	Loading int64
	// KVCache is the language model's keys and values at the full context.
	KVCache int64
	// Activations are the largest intermediates of a forward pass at the full context.
	Activations int64
	// Program is the executable, tokenizer and Go runtime.
	Program int64
}

// programBytes is the heap and code of edge itself with a model loaded (0.18 GB
// measured with the int8 blip2-opt-2.7b, of which the float norms and biases are
// counted in the weights).
const programBytes = 150e6

// Total is the peak: the weights, then either loading's transient or running.
func (n Need) Total() int64 {
	return n.Weights + max(n.Loading, n.KVCache+n.Activations) + n.Program
}

// Running is what running takes beside the weights.
func (n Need) Running() int64 { return n.Total() - n.Weights }

// NeedOptions say how the model will be loaded.
type NeedOptions struct {
	// Int8 quantizes float weights on load (Options.Int8).
	Int8 bool
	// Int4 > 0 quantizes as Int8, the language model's linear layers in int4 groups of
	// this size (Options.Int4).
	Int4 int
	// DType is Options.DType: the float matrices kept in 16 bits (F16/BF16 ones as
	// stored unless fp32; fp32 ones narrowed with fp16 or bf16).
	DType weights.DType
	// ContextLength is the longest sequence (0: the language model's own; T5: 512).
	ContextLength int
	// DeviceCopy counts the weights twice: a backend that keeps a device copy of them
	// in the memory the CPU has too (CUDA on a Jetson).
	DeviceCopy bool
}

// Context is the sequence length Need counts the cache and activations at.
func (c *Checkpoint) Context(o NeedOptions) int {
	switch {
	case o.ContextLength > 0:
		return o.ContextLength
	case c.Config.Text.ModelType == "t5":
		return 512
	}
	return c.Config.Text.MaxPositionEmbeddings
}

// half reports whether a matrix stored as dtype is kept in 16 bits under d.
func half(s weights.Spec, dtype string, d weights.DType) bool {
	if !s.Matrix {
		return false
	}
	switch d {
	case weights.FP16, weights.BF16:
		return true
	case weights.FP32:
		return false
	}
	return dtype == "F16" || dtype == "BF16"
}

// encoderW8A8 reports whether the vision encoder's linear layers will run W8A8: stored
// in int8 (a quantized folder) or quantized on load, with int8 activations.
func (c *Checkpoint) encoderW8A8(o NeedOptions) bool {
	name := firstEncoderWeight
	st, ok := c.stored[name]
	if !ok {
		return false
	}
	q := quantization(c.Config, Options{Int8: o.Int8, Int4: o.Int4 > 0})
	return (st.dtype == "I8" || q.OnLoad != nil && q.OnLoad(name, []int{1, 1})) && q.W8A8(name)
}

// Need estimates what loading and running the checkpoint takes. Float16 and bfloat16
// matrices count 16 bits unless --dtype fp32 widens them (then float32, and the
// conversion transient), as the CPU backend keeps them.
func (c *Checkpoint) Need(o NeedOptions) Need {
	var n Need
	for _, s := range ExpectedTensors(c.Config) {
		st, ok := c.stored[s.Name]
		if !ok {
			continue // a tied output head, or missing (Load says so)
		}
		elems := int64(1)
		for _, d := range s.Shape {
			elems *= int64(d)
		}
		group := o.Int4
		if st.dtype == "U8" && c.Config.Quantization != nil {
			group = c.Config.Quantization.GroupSize // an int4 folder
		}
		int4 := group > 0 && isInt4(s.Name, s.Shape) && st.dtype != "I8"
		quantized := st.dtype == "I8" || (o.Int8 || o.Int4 > 0) && roleOf(s.Name, s.Shape, false) != quant.Keep ||
			s.Name == patchEmbedding+".weight" && c.encoderW8A8(o) // VisionModel.patchLikeEncoder
		switch {
		case int4:
			n.Weights += tensorBytes(s, storage{int4: group})
		case quantized:
			n.Weights += elems + 4*int64(s.Shape[0]) // int8 values and a float scale per row
		case half(s, st.dtype, o.DType):
			n.Weights += 2 * elems
		default:
			n.Weights += 4 * elems
		}
		stored16 := st.dtype == "F16" || st.dtype == "BF16"
		if converted := stored16 && !half(s, st.dtype, o.DType) || (quantized || int4) && st.dtype != "I8" && st.dtype != "U8"; converted {
			n.Loading = max(n.Loading, st.bytes)
		}
	}
	if o.DeviceCopy {
		n.Weights *= 2
	}
	ctx := int64(c.Context(o))
	t, v := c.Config.Text, c.Config.Vision
	const f32 = 4
	if t.ModelType == "t5" {
		// Self-attention keys and values of the decoder, and the cross-attention ones
		// of the encoder output, each at most the context long.
		n.KVCache = 2 * 2 * int64(t.NumDecoderLayers) * ctx * int64(t.NumHeads*t.DKV) * f32
		n.Activations = 4*ctx*int64(max(t.DFF, 4*t.DModel))*f32 + ctx*ctx*f32
	} else {
		n.KVCache = 2 * int64(t.NumHiddenLayers) * ctx * int64(t.HiddenSize) * f32
		n.Activations = 4*ctx*int64(max(t.FFNDim, 4*t.HiddenSize))*f32 + ctx*ctx*f32
	}
	n.Activations += int64(t.VocabSize) * f32 // one row of logits
	patches := int64((v.ImageSize/max(v.PatchSize, 1))*(v.ImageSize/max(v.PatchSize, 1)) + 1)
	n.Activations = max(n.Activations, 4*patches*int64(v.IntermediateSize)*f32+patches*patches*f32)
	n.Program = programBytes
	return n
}
