// Package weights binds checkpoint tensors to model fields by name, checking each shape
// against what the config implies, so that a wrong or missing tensor fails at load with
// its name instead of later inside a forward pass.
//
// Its room in docs/architecture.md: model: imports runtime and models/safetensors.
package weights

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Store is what the binder reads from: a safetensors archive, or nothing (a dry run that
// only lists the tensors a model would bind).
type Store interface {
	// Lookup returns the stored shape and dtype of name.
	Lookup(name string) (shape []int, dtype string, ok bool)
	Float32(name string) ([]float32, error)
	Int8(name string) ([]int8, error)
}

// RowStore is what a Store may offer beyond whole tensors: rows converted a few at a
// time, and the stored bytes released once bound, so that loading keeps neither a
// float copy of a tensor it quantizes nor the file's pages it has converted.
type RowStore interface {
	Float32Rows(name string, cols, lo, hi int, dst []float32) error
	Release(name string)
}

// ViewStore is what a Store may offer beyond copies: a matrix's stored values used in
// place (a read-only file mapping), so that binding costs no heap at all. ok is false
// where the stored layout does not allow it.
type ViewStore interface {
	Float32View(name string) ([]float32, bool)
	Int8View(name string) ([]int8, bool)
}

// HalfStore is what a Store may offer for 16-bit float matrices (F16, BF16): their raw
// values in place where the layout allows (ok false otherwise), or copied.
type HalfStore interface {
	HalfView(name string) (vals []uint16, bf16, ok bool)
	Half(name string) (vals []uint16, bf16 bool, err error)
}

// DType is the precision float matrices are kept in (norms, biases and other vectors
// stay fp32 whatever it says).
type DType string

const (
	// Auto keeps 16-bit matrices (F16, BF16) as stored and widens nothing else.
	Auto DType = "auto"
	FP32 DType = "fp32" // widen 16-bit matrices to fp32
	FP16 DType = "fp16" // narrow fp32 (or bfloat16) matrices to IEEE fp16
	BF16 DType = "bf16" // narrow fp32 (or fp16) matrices to bfloat16
)

// ParseDType reads a --dtype value; "" is Auto.
func ParseDType(s string) (DType, error) {
	switch d := DType(strings.ToLower(s)); d {
	case "":
		return Auto, nil
	case Auto, FP32, FP16, BF16:
		return d, nil
	}
	return "", fmt.Errorf("dtype %q: use auto, fp32, fp16 or bf16", s)
}

// kept is the storage a float matrix stored as dtype gets: "F32", "F16" or "BF16".
func (d DType) kept(stored string) string {
	switch d {
	case FP16:
		return "F16"
	case BF16:
		return "BF16"
	case FP32:
		return "F32"
	}
	if stored == "F16" || stored == "BF16" {
		return stored
	}
	return "F32"
}

// RawStore is what a Store may offer for packed int4 weights (U8 nibbles, F16
// scales): a tensor's stored bytes, in place in a mapping where the store has one.
type RawStore interface {
	Bytes(name string) ([]byte, error)
}

// Spec is one tensor a model binds.
type Spec struct {
	Name  string
	Shape []int
	// Matrix marks a linear layer's weight or an embedding table: what --dtype narrows
	// and int8 quantizes (vectors and other tensors stay fp32).
	Matrix bool
}

// Binder hands out tensors by name and remembers every name it was asked for and every
// problem it met; Err reports them all at once.
type Binder struct {
	store   Store
	specs   []Spec
	errs    []error
	bytes   int64
	quant   Quantization
	dtype   DType
	bound   func(name string) // sees each tensor bound (progress)
	rowBufs [][]float32       // eachRowBlock's per-worker buffers, kept from tensor to tensor
}

// Quantization says how int8 weights are used.
type Quantization struct {
	// W8A8 reports whether the layer whose weight is name runs with int8 activations
	// (for weights stored in int8, or quantized on load).
	W8A8 func(name string) bool
	// OnLoad, when set, quantizes float weights while binding: it returns true for
	// those to store in int8.
	OnLoad func(name string, shape []int) bool
	// QuantizeRow turns one float row into int8 values (q, same length) and returns
	// their scale.
	QuantizeRow func(row []float32, q []int8) float32
	// OnLoadInt4, when set, picks among the weights OnLoad quantizes those stored in
	// int4 groups of Group inputs instead (QuantizeRowQ4 packs a row).
	OnLoadInt4    func(name string) bool
	Group         int
	QuantizeRowQ4 func(row []float32, g int, q []uint8, scales []uint16)
}

// NewBinder reads from store; a nil store makes a dry run whose tensors are nil.
func NewBinder(store Store) *Binder { return &Binder{store: store} }

// SetDType sets the precision float matrices are kept in (the zero value is Auto).
// Matrices quantized on load are int8 whatever it says.
func (b *Binder) SetDType(d DType) { b.dtype = d }

// SetQuantization sets how int8 weights are read and made.
func (b *Binder) SetQuantization(q Quantization) { b.quant = q }

// SetProgress makes the binder call fn with each tensor's name once it is bound.
func (b *Binder) SetProgress(fn func(name string)) { b.bound = fn }

func (b *Binder) done(name string) {
	if b.bound != nil {
		b.bound(name)
	}
}

// Specs lists what was bound, in order.
func (b *Binder) Specs() []Spec { return b.specs }

// Bytes is the storage of every tensor bound so far, as the runtime holds it.
func (b *Binder) Bytes() int64 { return b.bytes }

// Err joins every binding error.
func (b *Binder) Err() error { return errors.Join(b.errs...) }

func (b *Binder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

// check looks name up and compares its shape with want.
func (b *Binder) check(name string, want []int) (dtype string, ok bool) {
	b.specs = append(b.specs, Spec{Name: name, Shape: want})
	if b.store == nil {
		return "", false
	}
	shape, dtype, found := b.store.Lookup(name)
	if !found {
		b.fail("tensor %s is missing (want shape %v)", name, want)
		return "", false
	}
	if !slices.Equal(shape, want) {
		b.fail("tensor %s has shape %v, the config implies %v", name, shape, want)
		return "", false
	}
	return dtype, true
}

// Has reports whether the store holds name (false on a dry run).
func (b *Binder) Has(name string) bool {
	if b.store == nil {
		return false
	}
	_, _, ok := b.store.Lookup(name)
	return ok
}

// Tensor binds a required float tensor of the given shape.
func (b *Binder) Tensor(name string, shape ...int) []float32 {
	if _, ok := b.check(name, shape); !ok {
		return nil
	}
	data, err := b.store.Float32(name)
	if err != nil {
		b.fail("tensor %s: %w", name, err)
		return nil
	}
	b.release(name)
	b.bytes += int64(4 * len(data))
	b.done(name)
	return data
}

// release drops a bound tensor's stored bytes from memory where the store can.
func (b *Binder) release(name string) {
	if rs, ok := b.store.(RowStore); ok {
		rs.Release(name)
	}
}

// Linear binds prefix.weight [out, in] (float, or int8 with prefix.weight_scale [out]) and,
// when bias is set, prefix.bias [out].
func (b *Binder) Linear(prefix string, out, in int, bias bool) runtime.Linear {
	return b.LinearShaped(prefix, []int{out, in}, bias)
}

// LinearShaped binds a weight stored with another shape of the same size, such as a
// convolution kernel [out, c, kh, kw] used as a matrix [out, c·kh·kw].
func (b *Binder) LinearShaped(prefix string, shape []int, bias bool) runtime.Linear {
	out := shape[0]
	in := 1
	for _, d := range shape[1:] {
		in *= d
	}
	l := runtime.Linear{W: b.matrix(prefix, shape, out, in)}
	if bias {
		l.Bias = b.Tensor(prefix+".bias", out)
	}
	return l
}

// Embedding binds a [rows, cols] table that may be stored in int8 with one scale per
// row (token embeddings, which double as a tied output head).
func (b *Binder) Embedding(name string, rows, cols int) *runtime.Weight {
	return b.matrix(strings.TrimSuffix(name, ".weight"), []int{rows, cols}, rows, cols)
}

// matrix binds prefix.weight as an out×in matrix: int8 with prefix.weight_scale when
// stored so, quantized now when the OnLoad rule says so, float otherwise.
func (b *Binder) matrix(prefix string, shape []int, out, in int) *runtime.Weight {
	w := &runtime.Weight{Out: out, In: in, Name: prefix}
	name := prefix + ".weight"
	if b.store != nil && len(shape) == 2 {
		if _, dt, ok := b.store.Lookup(name); ok && dt == "U8" {
			b.int4(prefix, w)
			return w
		}
	}
	dtype, ok := b.check(name, shape)
	b.specs[len(b.specs)-1].Matrix = true
	if !ok {
		return w
	}
	switch {
	case dtype == "I8":
		q, err := b.int8(name)
		if err != nil {
			b.fail("tensor %s: %w", name, err)
			return w
		}
		w.I8, w.Scales = q, b.Tensor(prefix+".weight_scale", out)
		if w.Scales == nil {
			w.I8 = nil // the error is recorded; keep the weight unusable rather than unscaled
		}
		b.bytes += int64(len(q))
	case b.quant.OnLoad != nil && len(shape) == 2 && b.quant.OnLoad(name, shape) && b.quant.OnLoadInt4 != nil && b.quant.OnLoadInt4(name):
		if err := b.quantize4(name, w); err != nil {
			b.fail("tensor %s: %w", name, err)
			return w
		}
		b.bytes += int64(w.Bytes())
	case b.quant.OnLoad != nil && len(shape) == 2 && b.quant.OnLoad(name, shape):
		q, scales, err := b.quantize(name, out, in)
		if err != nil {
			b.fail("tensor %s: %w", name, err)
			return w
		}
		w.I8, w.Scales = q, scales
		b.bytes += int64(len(w.I8) + 4*len(w.Scales))
	case b.dtype.kept(dtype) == "F32":
		data, err := b.float32(name)
		if err != nil {
			b.fail("tensor %s: %w", name, err)
			return w
		}
		w.F32 = data
		b.bytes += int64(4 * len(data))
	default:
		w.BF16 = b.dtype.kept(dtype) == "BF16"
		data, err := b.half(name, dtype, w.BF16, out, in)
		if err != nil {
			b.fail("tensor %s: %w", name, err)
			return w
		}
		w.Half = data
		b.bytes += int64(2 * len(data))
	}
	w.ActInt8 = w.I8 != nil && b.quant.W8A8 != nil && b.quant.W8A8(name)
	b.done(name)
	return w
}

// int4 binds a packed int4 weight (U8 [out, Q4RowBytes]) and its scales (F16 [out,
// Q4Groups]) in groups of the Quantization's Group, as an int4 folder stores them.
func (b *Binder) int4(prefix string, w *runtime.Weight) {
	name, scaleName := prefix+".weight", prefix+".weight_scale"
	b.specs = append(b.specs, Spec{Name: name, Shape: []int{w.Out, w.In}})
	g := b.quant.Group
	if g <= 0 || g%kernels.Q4Block != 0 {
		b.fail("tensor %s is packed int4 (U8) but the config gives no int4 group_size", name)
		return
	}
	shape, _, _ := b.store.Lookup(name)
	if want := []int{w.Out, kernels.Q4RowBytes(w.In, g)}; !slices.Equal(shape, want) {
		b.fail("tensor %s has shape %v, int4 groups of %d of a [%d,%d] weight imply %v", name, shape, g, w.Out, w.In, want)
		return
	}
	sShape, sType, ok := b.store.Lookup(scaleName)
	if want := []int{w.Out, kernels.Q4Groups(w.In, g)}; !ok || sType != "F16" || !slices.Equal(sShape, want) {
		b.fail("tensor %s is missing or not F16 %v (found %s %v): int4 weight %s needs its group scales", scaleName, want, sType, sShape, name)
		return
	}
	rs, ok := b.store.(RawStore)
	if !ok {
		b.fail("tensor %s: this store cannot read packed int4 weights", name)
		return
	}
	q, err := rs.Bytes(name)
	if err != nil {
		b.fail("tensor %s: %w", name, err)
		return
	}
	raw, err := rs.Bytes(scaleName)
	if err != nil {
		b.fail("tensor %s: %w", scaleName, err)
		return
	}
	scales := make([]uint16, len(raw)/2) // small (1/32 of the weight): copied, aligned
	for i := range scales {
		scales[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	w.I4, w.GroupScales, w.Group = q, scales, g
	b.bytes += int64(w.Bytes())
	b.done(name)
}

// float32 is a matrix's values: in place in the store where it can, else a copy (and
// the stored bytes released).
func (b *Binder) float32(name string) ([]float32, error) {
	if vs, ok := b.store.(ViewStore); ok {
		if v, ok := vs.Float32View(name); ok {
			return v, nil
		}
	}
	data, err := b.store.Float32(name)
	if err == nil {
		b.release(name)
	}
	return data, err
}

// int8 is float32 for an int8 matrix.
func (b *Binder) int8(name string) ([]int8, error) {
	if vs, ok := b.store.(ViewStore); ok {
		if v, ok := vs.Int8View(name); ok {
			return v, nil
		}
	}
	q, err := b.store.Int8(name)
	if err == nil {
		b.release(name)
	}
	return q, err
}

// quantizeBlock is how many rows a quantizing worker converts at a time.
const quantizeBlock = 32

// half is a 16-bit matrix's values (bfloat16 with bf, else fp16): in place in the store
// where it holds them so, else copied, or converted from another float type straight
// into the final buffer (the stored bytes released after).
func (b *Binder) half(name, stored string, bf bool, rows, cols int) ([]uint16, error) {
	want := "F16"
	if bf {
		want = "BF16"
	}
	if hs, ok := b.store.(HalfStore); ok && stored == want {
		if v, _, ok := hs.HalfView(name); ok {
			return v, nil
		}
		v, _, err := hs.Half(name)
		if err == nil {
			b.release(name)
		}
		return v, err
	}
	narrow := safetensors.F32ToF16
	if bf {
		narrow = safetensors.F32ToBF16
	}
	out := make([]uint16, rows*cols)
	use := func(lo, hi int, f []float32) {
		for i, v := range f {
			out[lo*cols+i] = narrow(v)
		}
	}
	rs, ok := b.store.(RowStore)
	if !ok {
		data, err := b.store.Float32(name)
		if err != nil {
			return nil, err
		}
		rs = floatRows(data)
	}
	return out, b.eachRowBlock(rs, name, rows, cols, use)
}

// quantize makes int8 rows and scales of a float matrix [rows, cols] straight into their
// final buffers: from a RowStore a block of rows at a time on every core (one block of
// floats per worker, never the whole tensor), releasing the stored bytes after; from
// another store through one float copy.
func (b *Binder) quantize(name string, rows, cols int) ([]int8, []float32, error) {
	q := make([]int8, rows*cols)
	scales := make([]float32, rows)
	rs, ok := b.store.(RowStore)
	if !ok {
		data, err := b.store.Float32(name)
		if err != nil {
			return nil, nil, err
		}
		for r := range rows {
			scales[r] = b.quant.QuantizeRow(data[r*cols:(r+1)*cols], q[r*cols:(r+1)*cols])
		}
		return q, scales, nil
	}
	err := b.eachRowBlock(rs, name, rows, cols, func(lo, hi int, f []float32) {
		for r := lo; r < hi; r++ {
			scales[r] = b.quant.QuantizeRow(f[(r-lo)*cols:(r-lo+1)*cols], q[r*cols:(r+1)*cols])
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return q, scales, nil
}

// quantize4 is quantize for int4 groups: w's packed rows and scales are made straight
// into their final buffers, a block of rows at a time on every core.
func (b *Binder) quantize4(name string, w *runtime.Weight) error {
	rows, cols, g := w.Out, w.In, b.quant.Group
	rb, ng := kernels.Q4RowBytes(cols, g), kernels.Q4Groups(cols, g)
	w.I4, w.GroupScales, w.Group = make([]uint8, rows*rb), make([]uint16, rows*ng), g
	pack := func(lo, hi int, f []float32) {
		for r := lo; r < hi; r++ {
			b.quant.QuantizeRowQ4(f[(r-lo)*cols:(r-lo+1)*cols], g, w.I4[r*rb:(r+1)*rb], w.GroupScales[r*ng:(r+1)*ng])
		}
	}
	rs, ok := b.store.(RowStore)
	if !ok {
		data, err := b.store.Float32(name)
		if err != nil {
			return err
		}
		rs = floatRows(data)
	}
	return b.eachRowBlock(rs, name, rows, cols, pack)
}

// floatRows serves rows of a tensor already in memory, so that it is packed on every
// core like one read a block at a time.
type floatRows []float32

func (f floatRows) Float32Rows(_ string, cols, lo, hi int, dst []float32) error {
	copy(dst, f[lo*cols:hi*cols])
	return nil
}
func (floatRows) Release(string) {}

// eachRowBlock hands blocks of a tensor's rows, converted to floats, to fn on every
// core (one block of floats per worker, never the whole tensor) and releases the
// stored bytes after.
func (b *Binder) eachRowBlock(rs RowStore, name string, rows, cols int, fn func(lo, hi int, f []float32)) error {
	blocks := (rows + quantizeBlock - 1) / quantizeBlock
	workers := min(goruntime.GOMAXPROCS(0), blocks)
	// The workers' buffers are kept for the next tensor: made anew for each of the
	// hundreds of tensors they would be garbage the collector lets pile up to the
	// size of the weights already held (GOGC), a tenth more heap on a full-size model.
	for len(b.rowBufs) < workers {
		b.rowBufs = append(b.rowBufs, nil)
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		if cap(b.rowBufs[wk]) < quantizeBlock*cols {
			b.rowBufs[wk] = make([]float32, quantizeBlock*cols)
		}
		buf := b.rowBufs[wk][:quantizeBlock*cols]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				blk := int(next.Add(1) - 1)
				if blk >= blocks {
					return
				}
				lo, hi := blk*quantizeBlock, min((blk+1)*quantizeBlock, rows)
				f := buf[:(hi-lo)*cols]
				if err := rs.Float32Rows(name, cols, lo, hi, f); err != nil {
					errs[wk] = err
					return
				}
				fn(lo, hi, f)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	rs.Release(name)
	return nil
}

// archive reads the binder's tensors from a safetensors archive.
type archive struct{ a *safetensors.Archive }

// FromArchive is the Store of a safetensors checkpoint.
func FromArchive(a *safetensors.Archive) Store { return archive{a} }

func (s archive) Lookup(name string) ([]int, string, bool) {
	info, ok := s.a.Info(name)
	if !ok {
		return nil, "", false
	}
	return info.Shape, string(info.DType), true
}
func (s archive) Float32(name string) ([]float32, error) { return s.a.Float32(name) }
func (s archive) Int8(name string) ([]int8, error)       { return s.a.Int8(name) }
func (s archive) Float32Rows(name string, cols, lo, hi int, dst []float32) error {
	return s.a.Float32Rows(name, cols, lo, hi, dst)
}
func (s archive) Release(name string)                         { s.a.Release(name) }
func (s archive) Bytes(name string) ([]byte, error)           { return s.a.Bytes(name) }
func (s archive) Float32View(name string) ([]float32, bool)   { return s.a.Float32View(name) }
func (s archive) Int8View(name string) ([]int8, bool)         { return s.a.Int8View(name) }
func (s archive) HalfView(name string) ([]uint16, bool, bool) { return s.a.HalfView(name) }
func (s archive) Half(name string) ([]uint16, bool, error)    { return s.a.Half(name) }
