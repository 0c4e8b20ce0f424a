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
