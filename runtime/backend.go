package runtime

import "fmt"

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
	Bias *Tensor
	// Seqs, when above 1, says q, k and v stack that many independent sequences of equal
	// length (a batch of images): the queries of sequence s attend only to its keys, rows
	// [s·Tk/Seqs, (s+1)·Tk/Seqs). Not with Bias or Causal.
	Seqs int
}

// SeqSplit checks p.Seqs against tq queries and tk keys and returns the number of
// sequences (at least 1) and each one's query and key count.
func (p AttentionParams) SeqSplit(tq, tk int) (seqs, sq, sk int) {
	seqs = max(p.Seqs, 1)
	if tq%seqs != 0 || tk%seqs != 0 || (seqs > 1 && (p.Bias != nil || p.Causal)) {
		panic(fmt.Sprintf("runtime: attention over %d sequences of %d queries and %d keys (bias %v, causal %v)", seqs, tq, tk, p.Bias != nil, p.Causal))
	}
	return seqs, tq / seqs, tk / seqs
}

// Backend runs the operations model code is written against and owns the values of
// the tensors they make. Every method allocates its result unless it says it works in
// place; weights, norms and biases are host slices the backend may keep its own copy
// of (they never change).
type Backend interface {
	Name() string

	// NewTensor returns a tensor of shape whose values are undefined until written.
	NewTensor(shape ...int) *Tensor
	// FromHost returns a tensor holding a copy of data (len(data) = the shape's size).
	FromHost(data []float32, shape ...int) *Tensor
	// Upload overwrites dst's values with data (len(data) = dst's size).
	Upload(dst *Tensor, data []float32)
	// Host copies t's values into dst (grown when it is short) and returns them: the
	// only way values come back from a backend.
	Host(t *Tensor, dst []float32) []float32
	// CopyRows copies the rows of src into dst at rows [at, at+src.Rows()).
	CopyRows(dst *Tensor, at int, src *Tensor)
	// Embed writes row ids[i] of w (dequantised when int8) into row i of dst
	// [len(ids), w.In]; every id must be in [0, w.Out).
	Embed(w *Weight, ids []int, dst *Tensor)
	// AddRows does x[i] += table[first+i] for each row i of x, table being rows of x's
	// width (learned positions).
	AddRows(x *Tensor, table []float32, first int)
	// Scale does x *= s in place.
	Scale(x *Tensor, s float32)
	// Argmax is the first index of the largest value of x's last row (greedy decoding
	// brings back this one number, not the logits).
	Argmax(x *Tensor) int

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
	// AttentionQKV is self-attention on a fused projection: qkv is [T, 3·H·D] with q, k
	// and v side by side, as ViT's qkv layer produces them.
	AttentionQKV(qkv *Tensor, p AttentionParams) *Tensor
}

// RowConcatenator is an optional backend feature: stacking rows in one operation (a
// graph recorder writes it as one operator).
type RowConcatenator interface {
	ConcatRows(ts ...*Tensor) *Tensor
}

// ConcatRows stacks 2-D tensors with the same column count into a new tensor on be.
func ConcatRows(be Backend, ts ...*Tensor) *Tensor {
	if c, ok := be.(RowConcatenator); ok {
		return c.ConcatRows(ts...)
	}
	rows, cols := 0, ts[0].Cols()
	for _, t := range ts {
		if t.Cols() != cols {
			panic(fmt.Sprintf("runtime: concat of %d and %d columns", cols, t.Cols()))
		}
		rows += t.Rows()
	}
	out := be.NewTensor(rows, cols)
	at := 0
	for _, t := range ts {
		be.CopyRows(out, at, t)
		at += t.Rows()
	}
	return out
}

// Clone returns a copy of t on be.
func Clone(be Backend, t *Tensor) *Tensor {
	out := be.NewTensor(t.Shape...)
	be.CopyRows(out.Reshape(out.Rows(), out.Cols()), 0, t.Reshape(t.Rows(), t.Cols()))
	return out
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
	y := be.Linear(x, l)
	be.AddInPlace(dst, y)
	Recycle(be, y)
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

// PatchCutter is an optional backend feature: cutting an image into patch rows on the
// backend itself.
type PatchCutter interface {
	Patches(pixels *Tensor, patch int) *Tensor
}

// Patches cuts pixels [C, S, S] into one row per non-overlapping patch×patch square,
// row-major over the grid, each row ordered (channel, y, x) like a flattened
// convolution kernel: [(S/patch)², C·patch·patch], the input of a patch embedding.
// A backend without PatchCutter does it through the host (pixels come from there).
func Patches(be Backend, pixels *Tensor, patch int) *Tensor {
	if pc, ok := be.(PatchCutter); ok {
		return pc.Patches(pixels, patch)
	}
	c, s := pixels.Shape[0], pixels.Shape[1]
	g := s / patch
	out := make([]float32, g*g*c*patch*patch)
	CutPatches(out, be.Host(pixels, nil), c, s, patch)
	return be.FromHost(out, g*g, c*patch*patch)
}

// CutPatches writes the patch rows of CHW pixels (c channels of s×s) into dst, as
// Patches lays them out; it is the host loop behind it, for backends to share.
func CutPatches(dst, pixels []float32, c, s, p int) {
	grid := s / p
	rowLen := c * p * p
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			r := gy*grid + gx
			row := dst[r*rowLen : (r+1)*rowLen]
			i := 0
			for ch := 0; ch < c; ch++ {
				for ky := 0; ky < p; ky++ {
					src := pixels[ch*s*s+(gy*p+ky)*s+gx*p:]
					if p == 16 { // the common patch size: one 64-byte move
						*(*[16]float32)(row[i:]) = *(*[16]float32)(src)
						i += 16
						continue
					}
					i += copy(row[i:i+p], src[:p])
				}
			}
		}
	}
}
