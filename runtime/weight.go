package runtime

import (
	"math"
	"sync"

	"github.com/edgevlm/edge/runtime/kernels"
)

// Weight is the matrix of a linear layer, stored [Out, In] row-major as in PyTorch: in
// float32, in a 16-bit float (IEEE fp16 or bfloat16, widened inside the kernels), as
// int8 with one symmetric scale per output row, or as int4 in groups along In with one
// fp16 scale per group (kernels' Q4 layout). Exactly one of F32, Half, I8, I4 is set.
type Weight struct {
	// Name is the layer's checkpoint name (without ".weight"), for logs and exported
	// graphs.
	Name    string
	Out, In int
	F32     []float32 // [Out, In]; nil when quantized or 16-bit
	Half    []uint16  // [Out, In]: fp16, or bfloat16 when BF16 is set; nil otherwise
	BF16    bool
	I8      []int8    // [Out, In]; nil when float
	Scales  []float32 // [Out]: W[o,i] ≈ Scales[o]·I8[o,i]
	// I4 holds int4 weights, Out packed rows of kernels.Q4RowBytes(In, Group) bytes,
	// with GroupScales [Out, kernels.Q4Groups(In, Group)] in fp16; nil otherwise.
	I4          []uint8
	GroupScales []uint16
	Group       int
	// ActInt8 asks for int8 activations too (W8A8): each input row is quantized
	// symmetrically at run time and the product is accumulated in int32.
	ActInt8 bool
	// Prepared is where a backend keeps its own form of the weight (packed panels,
	// a device copy); model code never touches it. Set it through Prepare.
	Prepared any
	prepare  sync.Once
}

// Prepare runs make once for this weight, keeps its result in Prepared and returns
// it; concurrent callers wait for the first. A backend packs a weight this way on
// first use instead of on every call.
func (w *Weight) Prepare(make func() any) any {
	w.prepare.Do(func() { w.Prepared = make() })
	return w.Prepared
}

// Quantized reports whether the weight is stored in int8.
func (w *Weight) Quantized() bool { return w.I8 != nil }

// Int4 reports whether the weight is stored in int4 groups.
func (w *Weight) Int4() bool { return w.I4 != nil }

// Is16 reports whether the weight is stored in a 16-bit float.
func (w *Weight) Is16() bool { return w.Half != nil }

// Bytes is the storage the weight occupies.
func (w *Weight) Bytes() int {
	switch {
	case w.Quantized():
		return len(w.I8) + 4*len(w.Scales)
	case w.Is16():
		return 2 * len(w.Half)
	case w.Int4():
		return len(w.I4) + 2*len(w.GroupScales)
	}
	return 4 * len(w.F32)
}

// Linear is a weight with an optional bias.
type Linear struct {
	W    *Weight
	Bias []float32 // [Out] or nil
}

// RowTo writes row r of the weight (dequantised when int8 or int4, widened when 16-bit)
// into dst: an embedding lookup.
func (w *Weight) RowTo(r int, dst []float32) {
	if w.Int4() {
		rb, ng := kernels.Q4RowBytes(w.In, w.Group), kernels.Q4Groups(w.In, w.Group)
		kernels.DequantizeQ4(w.In, w.Group, w.I4[r*rb:(r+1)*rb], w.GroupScales[r*ng:(r+1)*ng], dst[:w.In])
		return
	}
	if w.Is16() {
		HalfToFloat32(w.Half[r*w.In:(r+1)*w.In], w.BF16, dst)
		return
	}
	if w.Quantized() {
		s := w.Scales[r]
		for i, q := range w.I8[r*w.In : (r+1)*w.In] {
			dst[i] = s * float32(q)
		}
		return
	}
	copy(dst, w.F32[r*w.In:(r+1)*w.In])
}

// Float32 is the weight's values as float32: F32 itself, or a widened copy of a 16-bit
// weight (for backends without 16-bit kernels); nil for int8.
func (w *Weight) Float32() []float32 {
	if !w.Is16() {
		return w.F32
	}
	out := make([]float32, len(w.Half))
	HalfToFloat32(w.Half, w.BF16, out)
	return out
}

// HalfToFloat32 widens 16-bit floats (fp16, or bfloat16 with bf) into dst, exactly.
// The CPU kernels have vector forms of this; this one serves the cold paths.
func HalfToFloat32(src []uint16, bf bool, dst []float32) {
	dst = dst[:len(src)]
	if bf {
		for i, h := range src {
			dst[i] = math.Float32frombits(uint32(h) << 16)
		}
		return
	}
	for i, h := range src {
		sign := uint32(h>>15) << 31
		exp, man := uint32(h>>10)&0x1f, uint32(h)&0x3ff
		switch {
		case exp == 0x1f:
			dst[i] = math.Float32frombits(sign | 0x7f800000 | man<<13)
		case exp != 0:
			dst[i] = math.Float32frombits(sign | (exp+112)<<23 | man<<13)
		default: // zero or subnormal: man·2⁻²⁴
			dst[i] = math.Float32frombits(sign | math.Float32bits(float32(man)*(1.0/(1<<24))))
		}
	}
}
