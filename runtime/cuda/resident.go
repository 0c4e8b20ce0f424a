package cuda

import (
	"fmt"
	"unsafe"

	"github.com/edgevlm/edge/runtime"
)

// deviceWeight is a linear layer's weight as the device holds it.
type deviceWeight struct {
	ptr    uintptr // [Out, In] fp32, fp16 or int8
	scales uintptr // [Out] fp32 for int8, else 0
	dtype  int32   // dtypeF32, dtypeF16 or dtypeI8
	bytes  int64
}

// edge_dtype values (edgecuda.h).
const (
	dtypeF32 = 0
	dtypeF16 = 1
	dtypeI8  = 2
)

// paramKey identifies a parameter slice (a norm weight, a bias) by its storage. The entry
// keeps the slice alive, so no other slice can take its address while it is cached.
type paramKey struct {
	ptr *float32
	n   int
}

type deviceParam struct {
	ptr  uintptr
	host []float32
}

// weight returns the device copy of w, uploading it on first use: model weights are
// immutable once bound, so the copy stays valid for the backend's life.
func (b *Backend) weight(w *runtime.Weight) *deviceWeight {
	if d, ok := b.weights[w]; ok {
		return d
	}
	d, err := b.uploadWeight(w)
	if err != nil {
		panic(fmt.Errorf("cuda: upload weight [%d,%d]: %w", w.Out, w.In, err))
	}
	b.weights[w] = d
	b.resident += d.bytes
	return d
}

func (b *Backend) uploadWeight(w *runtime.Weight) (*deviceWeight, error) {
	n := uint64(w.Out) * uint64(w.In)
	f32 := w.F32
	if w.Is16() {
		f32 = w.Float32() // a host copy while uploading; the device keeps its own form
	}
	switch {
	case w.Int4():
		// No int4 kernels on the device yet: the weight goes up as a float one (fp16
		// by default), dequantized on the host one weight at a time.
		f := &runtime.Weight{Name: w.Name, Out: w.Out, In: w.In, F32: make([]float32, n)}
		for r := range w.Out {
			w.RowTo(r, f.F32[r*w.In:(r+1)*w.In])
		}
		return b.uploadWeight(f)
	case w.Quantized():
		if uint64(len(w.I8)) != n || len(w.Scales) != w.Out {
			return nil, fmt.Errorf("int8 weight holds %d values and %d scales for [%d,%d]", len(w.I8), len(w.Scales), w.Out, w.In)
		}
		d := &deviceWeight{dtype: dtypeI8, bytes: int64(n) + 4*int64(w.Out)}
		var err error
		if d.ptr, err = b.alloc(n); err != nil {
			return nil, err
		}
		if d.scales, err = b.alloc(4 * uint64(w.Out)); err != nil {
			b.freeWeight(d)
			return nil, err
		}
		if err := b.uploadTo(d.ptr, unsafe.Pointer(&w.I8[0]), n); err != nil {
			b.freeWeight(d)
			return nil, err
		}
		if err := b.uploadTo(d.scales, unsafe.Pointer(&w.Scales[0]), 4*uint64(w.Out)); err != nil {
			b.freeWeight(d)
			return nil, err
		}
		return d, nil
	case uint64(len(f32)) != n || n == 0:
		return nil, fmt.Errorf("float weight holds %d values for [%d,%d]", len(f32), w.Out, w.In)
	case b.cfg.Precision == FP16:
		// Upload fp32 through a staging slot and convert on the device: no fp16 copy of
		// the whole model on the host.
		d := &deviceWeight{dtype: dtypeF16, bytes: 2 * int64(n)}
		var err error
		if d.ptr, err = b.alloc(2 * n); err != nil {
			return nil, err
		}
		if err := b.uploadHalf(d.ptr, f32); err != nil {
			b.freeWeight(d)
			return nil, err
		}
		return d, nil
	default:
		d := &deviceWeight{dtype: dtypeF32, bytes: 4 * int64(n)}
		var err error
		if d.ptr, err = b.alloc(4 * n); err != nil {
			return nil, err
		}
		if err := b.uploadTo(d.ptr, unsafe.Pointer(&f32[0]), 4*n); err != nil {
			b.freeWeight(d)
			return nil, err
		}
		return d, nil
	}
}

// stageFloats bounds the fp32 staging buffer of an fp16 upload (64 MiB).
const stageFloats = 16 << 20

// uploadHalf writes src as fp16 at dst, converting on the device a chunk at a time.
func (b *Backend) uploadHalf(dst uintptr, src []float32) error {
	stage := b.slot(slotOut, 4*uint64(min(len(src), stageFloats)))
	for off := 0; off < len(src); off += stageFloats {
		n := uint64(min(stageFloats, len(src)-off))
		if err := b.uploadTo(stage, unsafe.Pointer(&src[off]), 4*n); err != nil {
			return err
		}
		// Stream order makes the next chunk's copy wait for this conversion.
		if err := b.call("edge_f32_to_f16", b.lib.f32to16(b.ctx, stage, dst+uintptr(2*off), n)); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) freeWeight(d *deviceWeight) error {
	var first error
	for _, p := range []uintptr{d.ptr, d.scales} {
		if p == 0 {
			continue
		}
		if err := b.call("edge_free", b.lib.free(b.ctx, p)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// param returns the device copy of a parameter vector (nil gives 0, the C side's NULL).
func (b *Backend) param(v []float32) uintptr {
	if len(v) == 0 {
		return 0
	}
	k := paramKey{unsafe.SliceData(v), len(v)}
	if p, ok := b.params[k]; ok {
		return p.ptr
	}
	p, err := b.alloc(4 * uint64(len(v)))
	if err == nil {
		err = b.uploadTo(p, unsafe.Pointer(&v[0]), 4*uint64(len(v)))
	}
	if err != nil {
		panic(fmt.Errorf("cuda: upload parameter of %d values: %w", len(v), err))
	}
	b.params[k] = &deviceParam{ptr: p, host: v}
	b.resident += 4 * int64(len(v))
	return p
}
