package tflite

import (
	"fmt"
	"strings"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
)

// Recorder is a runtime.Backend whose operations compute nothing: each appends TFLite
// operators to a graph. Running a model's own forward pass against it writes that
// model as a .tflite file, so the model is written once (models/blip2) and its export
// cannot drift from it.
//
// It records what an image path uses: constants from the host (FromHost), linear
// layers (float, or int8 weights with float activations), layer norms, activations,
// additions, attention without masks or biases, patch cutting and row concatenation.
// The rest (decoding, caches, values back on the host) panics with the reason.
//
// Two operations are written lazily, to keep the graph the shape TFLite runs well:
// cutting patches followed by their linear layer becomes one CONV_2D, and a linear
// layer whose output is only split into q, k and v (AttentionQKV) becomes three.
type Recorder struct {
	g      *graph
	vals   []value
	int8   bool
	inputs []int32
}

// value is what a recorded tensor holds: a graph tensor, or an operation not yet
// written (patches, a linear layer).
type value struct {
	id int32 // graph tensor, or -1 while pending
	// pending patches of the input tensor `of`, or a linear layer of `of`:
	patch int
	lin   *runtime.Linear
	of    *runtime.Tensor
}

// NewRecorder starts an empty graph. With int8, linear layers whose weights are int8
// keep them so (dynamic-range quantization); otherwise weights are written in fp32.
func NewRecorder(int8 bool) *Recorder { return &Recorder{g: newGraph(), int8: int8} }

// Name says what this backend is.
func (r *Recorder) Name() string { return "tflite-recorder" }

func (r *Recorder) tensor(v value, shape ...int) *runtime.Tensor {
	r.vals = append(r.vals, v)
	return tensorcore.NewDevice(uintptr(len(r.vals)), r, shape...)
}

func (r *Recorder) val(t *runtime.Tensor) *value {
	dev, owner := tensorcore.Device(t)
	if owner != r || dev == 0 || int(dev) > len(r.vals) {
		panic("tflite: " + t.String() + " was not made by this recorder (or is a row view, which it does not record)")
	}
	return &r.vals[dev-1]
}

// rebind points t at graph tensor id: an in-place operation's result.
func (r *Recorder) rebind(t *runtime.Tensor, id int32) {
	r.vals = append(r.vals, value{id: id})
	tensorcore.SetDevice(t, uintptr(len(r.vals)), r)
}

// id is t's graph tensor, writing a pending operation first and a RESHAPE where t's
// header has another shape than the graph tensor (a Reshape view).
func (r *Recorder) id(t *runtime.Tensor) int32 {
	v := r.val(t)
	if v.id < 0 {
		switch {
		case v.lin != nil:
			v.id = r.linear(v.of, *v.lin)
		default:
			panic("tflite: patches are recorded only as the input of a linear layer (the patch embedding)")
		}
	}
	id := v.id
	want := make([]int32, len(t.Shape))
	for i, d := range t.Shape {
		want[i] = int32(d)
	}
	if !equal32(r.g.shape(id), want) {
		id = r.g.reshape(r.g.tensors[id].name+".reshaped", id, want...)
	}
	return id
}

func equal32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// layerName is a weight's checkpoint name, or what the layer is when it has none.
func layerName(w *runtime.Weight, what string) string {
	if w.Name != "" {
		return w.Name
	}
	return what
}

// linear writes x·Wᵀ + b: a CONV_2D when x is pending patches, else FULLY_CONNECTED.
func (r *Recorder) linear(x *runtime.Tensor, l runtime.Linear) int32 {
	name := layerName(l.W, "linear")
	if xv := r.val(x); xv.id < 0 && xv.patch > 0 {
		return r.patchEmbedding(name, xv.of, xv.patch, l)
	}
	return r.g.linear(name, r.id(x), l.W, l.Bias, r.int8)
}

// patchEmbedding writes the patch cut and its linear layer as the convolution they are:
// CONV_2D wants NHWC input and an OHWI kernel; the result is [patches, hidden].
func (r *Recorder) patchEmbedding(name string, pixels *runtime.Tensor, p int, l runtime.Linear) int32 {
	in := r.val(pixels).id // the graph tensor itself, [1, C, S, S] or [C, S, S], whatever view pixels is
	if in < 0 {
		in = r.id(pixels)
	}
	s := r.g.shape(in)
	c, size := s[len(s)-3], s[len(s)-1]
	if len(s) == 3 {
		in = r.g.reshape(name+".input", in, 1, c, size, size)
	}
	d, grid := int32(l.W.Out), size/int32(p)
	nhwc := r.g.transpose(name+".nhwc", in, 0, 2, 3, 1)
	filter := r.g.constF32(name+".weight", ohwi(floatWeights(l.W), int(d), int(c), p), d, int32(p), int32(p), c)
	bias := int32(-1)
	if l.Bias != nil {
		bias = r.g.constF32(name+".bias", l.Bias, d)
	}
	conv := r.g.activation(name, 1, grid, grid, d)
	r.g.op(opConv2D, 1, []int32{nhwc, filter, bias}, []int32{conv}, optConv2D, conv2DOptions(int32(p)))
	return r.g.reshape(name+".rows", conv, grid*grid, d)
}

// Input adds a graph input of shape (float32) and returns it.
func (r *Recorder) Input(name string, shape ...int) *runtime.Tensor {
	s := make([]int32, len(shape))
	for i, d := range shape {
		s[i] = int32(d)
	}
	id := r.g.activation(name, s...)
	r.inputs = append(r.inputs, id)
	r.g.inputs = append(r.g.inputs, id)
	return r.tensor(value{id: id}, shape...)
}

// Serialize writes the graph with t, reshaped to shape, as its output named
// outputName, and the signature naming input and output.
func (r *Recorder) Serialize(t *runtime.Tensor, outputName string, shape []int, description string) ([]byte, error) {
	if len(r.inputs) != 1 {
		return nil, fmt.Errorf("tflite: the graph has %d inputs, want one", len(r.inputs))
	}
	s := make([]int32, len(shape))
	for i, d := range shape {
		s[i] = int32(d)
	}
	out := r.g.reshape(outputName, r.id(t), s...)
	r.g.outputs = []int32{out}
	return r.g.serialize(description, r.g.tensors[r.inputs[0]].name, outputName)
}

func unsupported(op string) string {
	return "tflite: the recorder does not write " + op + " (it records image paths)"
}

// NewTensor has no graph form: a recorded tensor is always some operator's output.
func (r *Recorder) NewTensor(shape ...int) *runtime.Tensor { panic(unsupported("an empty tensor")) }

// FromHost records a constant.
func (r *Recorder) FromHost(data []float32, shape ...int) *runtime.Tensor {
	s := make([]int32, len(shape))
	for i, d := range shape {
		s[i] = int32(d)
	}
	return r.tensor(value{id: r.g.constF32("constant", append([]float32(nil), data...), s...)}, shape...)
}

func (r *Recorder) Upload(*runtime.Tensor, []float32) { panic(unsupported("uploads")) }
func (r *Recorder) Host(*runtime.Tensor, []float32) []float32 {
	panic(unsupported("values back to the host: nothing is computed"))
}
func (r *Recorder) CopyRows(*runtime.Tensor, int, *runtime.Tensor) { panic(unsupported("row copies")) }
func (r *Recorder) Embed(*runtime.Weight, []int, *runtime.Tensor)  { panic(unsupported("embeddings")) }
func (r *Recorder) Scale(*runtime.Tensor, float32)                 { panic(unsupported("scaling")) }
func (r *Recorder) Argmax(*runtime.Tensor) int                     { panic(unsupported("argmax")) }
func (r *Recorder) RMSNorm(*runtime.Tensor, []float32, float32) *runtime.Tensor {
	panic(unsupported("RMS norms"))
}

// AddRows adds rows first.. of a constant table (learned positions).
func (r *Recorder) AddRows(x *runtime.Tensor, table []float32, first int) {
	c, n := x.Cols(), x.Rows()
	rows := r.g.constF32("positions", append([]float32(nil), table[first*c:(first+n)*c]...), int32(n), int32(c))
	r.rebind(x, r.g.add("embeddings", r.id(x), rows))
}

// Patches records the patch cut; the linear layer that takes it writes both.
func (r *Recorder) Patches(pixels *runtime.Tensor, patch int) *runtime.Tensor {
	c, s := pixels.Shape[0], pixels.Shape[1]
	g := s / patch
	return r.tensor(value{id: -1, patch: patch, of: pixels}, g*g, c*patch*patch)
}

// ConcatRows records a CONCATENATION along rows.
func (r *Recorder) ConcatRows(ts ...*runtime.Tensor) *runtime.Tensor {
	ids := make([]int32, len(ts))
	rows := 0
	for i, t := range ts {
		ids[i] = r.id(t)
		rows += t.Rows()
	}
	return r.tensor(value{id: r.g.concatRows("concat", ids...)}, rows, ts[0].Cols())
}

// Linear records x·Wᵀ + b when something reads it (see AttentionQKV).
func (r *Recorder) Linear(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), l.W.Out)
	return r.tensor(value{id: -1, lin: &l, of: x}, shape...)
}

// LinearAct records act(x·Wᵀ + b).
func (r *Recorder) LinearAct(x *runtime.Tensor, l runtime.Linear, act runtime.Activation) *runtime.Tensor {
	y := r.Linear(x, l)
	r.Activate(y, act)
	return y
}

// LinearAdd records dst + x·Wᵀ + b and makes dst that sum.
func (r *Recorder) LinearAdd(x *runtime.Tensor, l runtime.Linear, dst *runtime.Tensor) {
	y := r.linear(x, l)
	r.rebind(dst, r.g.add(layerName(l.W, "linear")+".residual", y, r.id(dst)))
}

// LayerNorm records the norm written out as MEAN, SUB, MUL, ADD and RSQRT.
func (r *Recorder) LayerNorm(x *runtime.Tensor, weight, bias []float32, eps float32) *runtime.Tensor {
	id := r.g.layerNorm("layer_norm", r.id(x), weight, bias, float64(eps))
	return r.tensor(value{id: id}, x.Shape...)
}

// Activate records the activation and makes x its result.
func (r *Recorder) Activate(x *runtime.Tensor, act runtime.Activation) {
	if act == runtime.ActIdentity {
		return
	}
	r.rebind(x, r.g.activate("act", r.id(x), act))
}

// AddInPlace records x + y and makes x the sum.
func (r *Recorder) AddInPlace(x, y *runtime.Tensor) { r.rebind(x, r.g.add("add", r.id(x), r.id(y))) }

// MulInPlace records x·y and makes x the product.
func (r *Recorder) MulInPlace(x, y *runtime.Tensor) { r.rebind(x, r.g.mul("mul", r.id(x), r.id(y))) }

func attentionParams(p runtime.AttentionParams) {
	if p.Causal || p.Bias != nil {
		panic(unsupported("masked or biased attention"))
	}
	if p.Seqs > 1 {
		panic(unsupported("attention over a batch of sequences (the file takes one image)"))
	}
}

// Attention records softmax(scale·q·kᵀ)·v per head.
func (r *Recorder) Attention(q, k, v *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	attentionParams(p)
	id := r.g.attention("attention", r.id(q), r.id(k), r.id(v), int32(p.Heads), p.Scale)
	return r.tensor(value{id: id}, q.Rows(), p.Heads*p.HeadDim)
}

// AttentionQKV records attention on a fused projection. When qkv is a linear layer not
// yet written, its three parts are written as three layers (each reads its own rows
// of the weight), so no slicing operator is needed.
func (r *Recorder) AttentionQKV(qkv *runtime.Tensor, p runtime.AttentionParams) *runtime.Tensor {
	attentionParams(p)
	v := r.val(qkv)
	if v.id >= 0 || v.lin == nil {
		panic(unsupported("attention on a fused projection that is not a linear layer"))
	}
	width := p.Heads * p.HeadDim
	name := layerName(v.lin.W, "qkv")
	x := r.id(v.of)
	var parts [3]int32
	for i, part := range []string{"q", "k", "v"} {
		w, b := rowsOf(*v.lin, i*width, (i+1)*width)
		parts[i] = r.g.linear(name+"."+part, x, w, b, r.int8)
	}
	id := r.g.attention(strings.TrimSuffix(name, ".qkv"), parts[0], parts[1], parts[2], int32(p.Heads), p.Scale)
	return r.tensor(value{id: id}, qkv.Rows(), width)
}

// rowsOf is rows [lo, hi) of a linear layer (weight rows and bias entries).
func rowsOf(l runtime.Linear, lo, hi int) (*runtime.Weight, []float32) {
	w := l.W
	out := &runtime.Weight{Name: w.Name, Out: hi - lo, In: w.In}
	switch {
	case w.Quantized():
		out.I8, out.Scales = w.I8[lo*w.In:hi*w.In], w.Scales[lo:hi]
	case w.Is16():
		out.Half, out.BF16 = w.Half[lo*w.In:hi*w.In], w.BF16
	default:
		out.F32 = w.F32[lo*w.In : hi*w.In]
	}
	var bias []float32
	if l.Bias != nil {
		bias = l.Bias[lo:hi]
	}
	return out, bias
}

// ohwi reorders a PyTorch convolution kernel [out, in, k, k] to TFLite's [out, k, k, in].
func ohwi(w []float32, out, in, k int) []float32 {
	dst := make([]float32, len(w))
	for o := 0; o < out; o++ {
		for ci := 0; ci < in; ci++ {
			for y := 0; y < k; y++ {
				for x := 0; x < k; x++ {
					dst[((o*k+y)*k+x)*in+ci] = w[((o*in+ci)*k+y)*k+x]
				}
			}
		}
	}
	return dst
}

var (
	_ runtime.Backend         = (*Recorder)(nil)
	_ runtime.FusedLinear     = (*Recorder)(nil)
	_ runtime.PatchCutter     = (*Recorder)(nil)
	_ runtime.RowConcatenator = (*Recorder)(nil)
)
