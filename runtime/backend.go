package runtime

// Activation names an element-wise nonlinearity.
type Activation int

const (
	ActIdentity Activation = iota
	ActReLU
	ActGELU     // exact: 0.5·x·(1+erf(x/√2))
	ActGELUTanh // "gelu_new": 0.5·x·(1+tanh(√(2/π)(x+0.044715x³)))
)

// AttentionParams describes one multi-head attention call. q is [Tq, H·D], k and v are
// [Tk, H·D] with head h at columns h·D..h·D+D-1.
type AttentionParams struct {
	Heads, HeadDim int
	Scale          float32 // multiplies q·kᵀ (1 for T5)
	// Causal masks key j for query i when j > i+QueryOffset: QueryOffset is the number of
	// keys that come before the first query (the cached length during decoding).
	Causal      bool
	QueryOffset int
	// Bias, when set, is added to the scores: [Heads, Tq, Tk] (T5's relative positions).
	Bias []float32
}

// Backend runs the operations model code is written against. Every method allocates its
// result unless it says it works in place.
type Backend interface {
	Name() string
	// Linear returns x·Wᵀ + bias for x [rows, In].
	Linear(x *Tensor, l Linear) *Tensor
	// LayerNorm normalises each row: (x-mean)/sqrt(var+eps)·weight + bias (bias may be nil).
	LayerNorm(x *Tensor, weight, bias []float32, eps float32) *Tensor
	// RMSNorm scales each row by weight/sqrt(mean(x²)+eps), with no mean subtraction.
	RMSNorm(x *Tensor, weight []float32, eps float32) *Tensor
	// Activate applies act in place.
	Activate(x *Tensor, act Activation)
	// AddInPlace does x += y (same shape).
	AddInPlace(x, y *Tensor)
	// MulInPlace does x *= y element-wise (same shape).
	MulInPlace(x, y *Tensor)
	// Attention returns softmax(Scale·q·kᵀ + Bias + mask)·v as [Tq, H·D].
	Attention(q, k, v *Tensor, p AttentionParams) *Tensor
}

// FusedLinear is what a backend may offer beyond Linear: the activation or the
// residual addition done while the product's output is still in cache, without a
// second pass over memory or an intermediate tensor. Model code calls the helpers
// LinearAct and LinearAdd, which fall back to the plain operations.
type FusedLinear interface {
	// LinearAct returns act(x·Wᵀ + bias).
	LinearAct(x *Tensor, l Linear, act Activation) *Tensor
	// LinearAdd does dst += x·Wᵀ + bias (dst has x's rows and W.Out columns).
	LinearAdd(x *Tensor, l Linear, dst *Tensor)
}

// QKVAttention is an optional attention on a fused projection: qkv is [T, 3·H·D]
// with q, k and v side by side, as ViT's qkv layer produces them.
type QKVAttention interface {
	AttentionQKV(qkv *Tensor, p AttentionParams) *Tensor
}

// LinearAct returns act(x·Wᵀ + bias), fused where the backend can.
func LinearAct(be Backend, x *Tensor, l Linear, act Activation) *Tensor {
	if f, ok := be.(FusedLinear); ok {
		return f.LinearAct(x, l, act)
	}
	y := be.Linear(x, l)
	be.Activate(y, act)
	return y
}

// LinearAdd does dst += x·Wᵀ + bias, fused where the backend can.
func LinearAdd(be Backend, x *Tensor, l Linear, dst *Tensor) {
	if f, ok := be.(FusedLinear); ok {
		f.LinearAdd(x, l, dst)
		return
	}
	be.AddInPlace(dst, be.Linear(x, l))
}

// AttentionQKV runs attention on q, k and v packed side by side in qkv [T, 3·H·D].
func AttentionQKV(be Backend, qkv *Tensor, p AttentionParams) *Tensor {
	if f, ok := be.(QKVAttention); ok {
		return f.AttentionQKV(qkv, p)
	}
	rows, w := qkv.Rows(), qkv.Cols()/3
	parts := make([]*Tensor, 3)
	for i := range parts {
		parts[i] = NewTensor(rows, w)
		for r := 0; r < rows; r++ {
			copy(parts[i].Row(r), qkv.Data[r*3*w+i*w:r*3*w+(i+1)*w])
		}
	}
	return be.Attention(parts[0], parts[1], parts[2], p)
}

// Recycler is an optional backend feature: tensors the model code is done with go
// back to the backend, which hands their memory out again for later results instead
// of allocating (and zeroing) fresh memory for every intermediate.
type Recycler interface {
	Recycle(ts ...*Tensor)
}

// Recycle gives tensors the caller will not touch again back to be, where it can use
// them; elsewhere it does nothing.
func Recycle(be Backend, ts ...*Tensor) {
	if r, ok := be.(Recycler); ok {
		r.Recycle(ts...)
	}
}

// Spent gives intermediates back to a backend through a slice it keeps, so that giving
// back (a variadic call through an interface) does not allocate one slice per call.
type Spent struct {
	Backend Backend
	ts      []*Tensor
}

// Give recycles ts (see Recycle).
func (s *Spent) Give(ts ...*Tensor) {
	s.ts = append(s.ts[:0], ts...)
	Recycle(s.Backend, s.ts...)
	clear(s.ts)
}

// ParseActivation maps a Hugging Face activation name (hidden_act, activation_function,
// dense_act_fn) to an Activation, or fallback for a name it does not know.
func ParseActivation(name string, fallback Activation) Activation {
	switch name {
	case "relu":
		return ActReLU
	case "gelu":
		return ActGELU
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu":
		return ActGELUTanh
	}
	return fallback
}
