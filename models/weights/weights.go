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
	store Store
	specs []Spec
	errs  []error
	bytes int64
	quant Quantization
	dtype DType
	bound func(name string) // sees each tensor bound (progress)
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
}

// NewBinder reads from store; a nil store makes a dry run whose tensors are nil.
func NewBinder(store Store) *Binder { return &Binder{store: store} }

// SetQuantization sets how int8 weights are read and made.
func (b *Binder) SetQuantization(q Quantization) { b.quant = q }

// SetDType sets the precision float matrices are kept in (the zero value is Auto).
// Matrices quantized on load are int8 whatever it says.
func (b *Binder) SetDType(d DType) { b.dtype = d }

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
	err := b.floatRows(name, rows, cols, func(lo, hi int, f []float32) {
		for i, v := range f {
			out[lo*cols+i] = narrow(v)
		}
	})
	return out, err
}

// convertBlock is how many rows a converting worker reads at a time.
const convertBlock = 32

// floatRows hands a float matrix [rows, cols] to use, rows [lo, hi) at a time with
// their values f: from a RowStore a block of rows at a time on every core (one block of
// floats per worker, never the whole tensor), releasing the stored bytes after; from
// another store through one float copy. use is called concurrently on disjoint rows.
func (b *Binder) floatRows(name string, rows, cols int, use func(lo, hi int, f []float32)) error {
	rs, ok := b.store.(RowStore)
	if !ok {
		data, err := b.store.Float32(name)
		if err != nil {
			return err
		}
		use(0, rows, data)
		return nil
	}
	blocks := (rows + convertBlock - 1) / convertBlock
	workers := min(goruntime.GOMAXPROCS(0), blocks)
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, convertBlock*cols)
			for {
				blk := int(next.Add(1) - 1)
				if blk >= blocks {
					return
				}
				lo, hi := blk*convertBlock, min((blk+1)*convertBlock, rows)
				f := buf[:(hi-lo)*cols]
				if err := rs.Float32Rows(name, cols, lo, hi, f); err != nil {
					errs[wk] = err
					return
				}
				use(lo, hi, f)
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

// quantize makes int8 rows and scales of a float matrix [rows, cols] straight into their
// final buffers (see floatRows).
func (b *Binder) quantize(name string, rows, cols int) ([]int8, []float32, error) {
	q := make([]int8, rows*cols)
	scales := make([]float32, rows)
	err := b.floatRows(name, rows, cols, func(lo, hi int, f []float32) {
		for r := lo; r < hi; r++ {
			scales[r] = b.quant.QuantizeRow(f[(r-lo)*cols:(r-lo+1)*cols], q[r*cols:(r+1)*cols])
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return q, scales, nil
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
func (s archive) Float32View(name string) ([]float32, bool)   { return s.a.Float32View(name) }
func (s archive) Int8View(name string) ([]int8, bool)         { return s.a.Int8View(name) }
func (s archive) HalfView(name string) ([]uint16, bool, bool) { return s.a.HalfView(name) }
func (s archive) Half(name string) ([]uint16, bool, error)    { return s.a.Half(name) }
