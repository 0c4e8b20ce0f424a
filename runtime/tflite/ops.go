package tflite

import "github.com/edgevlm/edge/runtime"

// The operations a Recorder writes, as TFLite operators. Activations are 2-D
// [rows, features] (batch 1), as the project's own backends compute them.

// linear is x·Wᵀ + b with FULLY_CONNECTED, float or int8 weights.
//
// int8 weights keep one scale per output channel and float activations (dynamic-range
// quantization; TFLite's "hybrid" kernel quantizes each input row at run time). TFLite
// 2.9's hybrid FULLY_CONNECTED reads only a per-tensor weight scale, so the int8 matrix
// is stored with scale 1 and the per-channel scales follow as a MUL on the output, then
// the bias as an ADD: (x·Qᵀ)·s + b is x·(s·Q)ᵀ + b.
func (g *graph) linear(name string, x int32, w *runtime.Weight, bias []float32, int8Weights bool) int32 {
	rows := g.shape(x)[0]
	if !int8Weights || !w.Quantized() {
		inputs := []int32{x, g.constF32(name+".weight", floatWeights(w), int32(w.Out), int32(w.In)), -1}
		if bias != nil {
			inputs[2] = g.constF32(name+".bias", bias, int32(w.Out))
		}
		out := g.activation(name, rows, int32(w.Out))
		g.op(opFullyConnect, 1, inputs, []int32{out}, optFullyConnect, fullyConnectedOptions)
		return out
	}
	q, s := w.I8, w.Scales
	wt := g.constI8(name+".weight", q, []float32{1}, int32(w.Out), int32(w.In))
	acc := g.activation(name+".int8", rows, int32(w.Out))
	const hybridVersion = 3 // float input and output, int8 weights
	g.op(opFullyConnect, hybridVersion, []int32{x, wt, -1}, []int32{acc}, optFullyConnect, fullyConnectedOptions)
	if bias == nil {
		return g.mul(name, acc, g.constF32(name+".weight_scale", s, int32(w.Out)))
	}
	scaled := g.mul(name+".scaled", acc, g.constF32(name+".weight_scale", s, int32(w.Out)))
	return g.add(name, scaled, g.constF32(name+".bias", bias, int32(w.Out)))
}

// floatWeights returns the weight in float32, dequantizing an int8 checkpoint's.
func floatWeights(w *runtime.Weight) []float32 {
	if !w.Quantized() {
		return w.Float32()
	}
	out := make([]float32, len(w.I8))
	for r := 0; r < w.Out; r++ {
		s := w.Scales[r]
		for i, q := range w.I8[r*w.In : (r+1)*w.In] {
			out[r*w.In+i] = s * float32(q)
		}
	}
	return out
}

func (g *graph) binary(code int32, optType byte, name string, a, b int32) int32 {
	sa, sb := g.shape(a), g.shape(b)
	shape := sa
	if len(sb) > len(sa) || (len(sb) == len(sa) && numel(sb) > numel(sa)) {
		shape = sb
	}
	out := g.activation(name, append([]int32(nil), shape...)...)
	g.op(code, 1, []int32{a, b}, []int32{out}, optType, activationOptions)
	return out
}

func (g *graph) add(name string, a, b int32) int32 { return g.binary(opAdd, optAdd, name, a, b) }
func (g *graph) sub(name string, a, b int32) int32 { return g.binary(opSub, optSub, name, a, b) }
func (g *graph) mul(name string, a, b int32) int32 { return g.binary(opMul, optMul, name, a, b) }

// meanLast averages over the last dimension, keeping it as size 1.
func (g *graph) meanLast(name string, x int32) int32 {
	s := g.shape(x)
	shape := append(append([]int32(nil), s[:len(s)-1]...), 1)
	axis := g.constI32(name+".axis", int32(len(s)-1))
	out := g.activation(name, shape...)
	g.op(opMean, 1, []int32{x, axis}, []int32{out}, optReducer, reducerOptions(true))
	return out
}

// layerNorm is (x-mean)/sqrt(var+eps)·w + b over the last dimension, written out in
// MEAN, SUB, MUL, ADD and RSQRT as transformers computes it.
func (g *graph) layerNorm(name string, x int32, weight, bias []float32, eps float64) int32 {
	d := g.shape(x)[len(g.shape(x))-1]
	mean := g.meanLast(name+".mean", x)
	centred := g.sub(name+".centred", x, mean)
	variance := g.meanLast(name+".var", g.mul(name+".sq", centred, centred))
	epsT := g.constF32(name+".eps", []float32{float32(eps)}, 1)
	inv := g.activation(name+".rstd", g.shape(variance)...)
	g.op(opRsqrt, 1, []int32{g.add(name+".var_eps", variance, epsT)}, []int32{inv}, optNone, nil)
	y := g.mul(name+".norm", centred, inv)
	y = g.mul(name+".scaled", y, g.constF32(name+".weight", weight, d))
	return g.add(name, y, g.constF32(name+".bias", bias, d))
}

func (g *graph) reshape(name string, x int32, shape ...int32) int32 {
	out := g.activation(name, shape...)
	g.op(opReshape, 1, []int32{x, g.constI32(name+".shape", shape...)}, []int32{out}, optReshape, reshapeOptions(shape))
	return out
}

func (g *graph) transpose(name string, x int32, perm ...int32) int32 {
	s := g.shape(x)
	shape := make([]int32, len(perm))
	for i, p := range perm {
		shape[i] = s[p]
	}
	out := g.activation(name, shape...)
	g.op(opTranspose, 1, []int32{x, g.constI32(name+".perm", perm...)}, []int32{out}, optTranspose, emptyOptions)
	return out
}

// concatRows stacks 2-D tensors along dimension 0.
func (g *graph) concatRows(name string, parts ...int32) int32 {
	rows := int32(0)
	for _, p := range parts {
		rows += g.shape(p)[0]
	}
	out := g.activation(name, rows, g.shape(parts[0])[1])
	g.op(opConcatenation, 1, parts, []int32{out}, optConcatenation, concatenationOptions(0))
	return out
}

func (g *graph) gelu(name string, x int32, approximate bool) int32 {
	out := g.activation(name, g.shape(x)...)
	g.op(opGelu, 1, []int32{x}, []int32{out}, optGelu, geluOptions(approximate))
	return out
}

// activate applies the config's hidden_act the way models/blip2 maps it.
func (g *graph) activate(name string, x int32, act runtime.Activation) int32 {
	switch act {
	case runtime.ActGELU:
		return g.gelu(name, x, false)
	case runtime.ActGELUTanh:
		return g.gelu(name, x, true)
	case runtime.ActReLU:
		out := g.activation(name, g.shape(x)...)
		g.op(opRelu, 1, []int32{x}, []int32{out}, optNone, nil)
		return out
	}
	return x
}

// attention is multi-head softmax(scale·q·kᵀ)·v for q [Tq, H·D] and k, v [Tk, H·D].
func (g *graph) attention(name string, q, k, v int32, heads int32, scale float32) int32 {
	tq, tk, width := g.shape(q)[0], g.shape(k)[0], g.shape(q)[1]
	hd := width / heads
	split := func(part string, x, rows int32) int32 {
		r := g.reshape(name+"."+part+"_heads", x, rows, heads, hd)
		return g.transpose(name+"."+part+"_t", r, 1, 0, 2) // [H, rows, D]
	}
	qh, kh, vh := split("q", q, tq), split("k", k, tk), split("v", v, tk)
	scores := g.activation(name+".scores", heads, tq, tk)
	g.op(opBatchMatMul, 1, []int32{qh, kh}, []int32{scores}, optBatchMatMul, batchMatMulOptions(false, true))
	// SOFTMAX's beta multiplies the logits: exp(beta·(s − max s)).
	probs := g.activation(name+".probs", heads, tq, tk)
	g.op(opSoftmax, 1, []int32{scores}, []int32{probs}, optSoftmax, softmaxOptions(scale))
	ctx := g.activation(name+".context_heads", heads, tq, hd)
	g.op(opBatchMatMul, 1, []int32{probs, vh}, []int32{ctx}, optBatchMatMul, batchMatMulOptions(false, false))
	return g.reshape(name+".context", g.transpose(name+".context_t", ctx, 1, 0, 2), tq, width)
}

func numel(shape []int32) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}
