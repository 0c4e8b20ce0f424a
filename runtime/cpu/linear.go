package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Linear returns x·Wᵀ + bias.
func (b *Backend) Linear(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	out := b.linearOut(x, l)
	b.linear(x, l, out.Data, false, runtime.ActIdentity)
	return out
}

// LinearAct returns act(x·Wᵀ + bias), the activation applied by the core that
// computed each block while it is in cache.
func (b *Backend) LinearAct(x *runtime.Tensor, l runtime.Linear, act runtime.Activation) *runtime.Tensor {
	out := b.linearOut(x, l)
	b.linear(x, l, out.Data, false, act)
	return out
}

// LinearAdd does dst += x·Wᵀ + bias: the product accumulates straight into dst.
func (b *Backend) LinearAdd(x *runtime.Tensor, l runtime.Linear, dst *runtime.Tensor) {
	if x.Cols() != l.W.In || dst.Cols() != l.W.Out || dst.Rows() != x.Rows() {
		panic(fmt.Sprintf("cpu: linear-add of %v through [%d,%d] into %v", x.Shape, l.W.Out, l.W.In, dst.Shape))
	}
	b.linear(x, l, dst.Data, true, runtime.ActIdentity)
}

func (b *Backend) linearOut(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	if x.Cols() != l.W.In {
		panic(fmt.Sprintf("cpu: linear of %d inputs on a [%d,%d] weight", x.Cols(), l.W.Out, l.W.In))
	}
	var buf [4]int // the shape stays on the stack: tensor copies it
	shape := append(append(buf[:0], x.Shape[:len(x.Shape)-1]...), l.W.Out)
	return b.tensor(shape...)
}

// linear writes (or, with acc, adds) act(x·Wᵀ + bias) into out [rows, Out]. Work is
// split over output columns, so that each core reads only its share of the weight:
// once per token when decoding, once per call with many rows.
func (b *Backend) linear(x *runtime.Tensor, l runtime.Linear, out []float32, acc bool, act runtime.Activation) {
	w := l.W
	rows := x.Rows()
	if rows == 0 || w.Out == 0 {
		return
	}
	switch {
	case w.Quantized() && w.ActInt8:
		b.linearW8A8(x.Data, rows, w, l.Bias, out, acc, act)
	case w.Quantized():
		b.linearW8(x.Data, rows, w, l.Bias, out, acc, act)
	default:
		b.linearF32(x.Data, rows, w, l.Bias, out, acc, act)
	}
}

// packLimit bounds the weights packed once and kept beside their rows (elements).
// Larger ones (the full-size checkpoints) are packed per call, a few percent of the
// product's time at the row counts where packing is used, instead of doubling the
// memory they take.
const packLimit = 1 << 20

// manyRows is where the packed micro-kernel beats streaming the weight rows.
const manyRows = 16

// prepared is the CPU backend's own form of a weight, made on first use.
type prepared struct {
	f32 *kernels.PackedB
	i8  *kernels.PackedBI8
}

func (b *Backend) prepared(w *runtime.Weight) *prepared {
	if w.Out*w.In > packLimit {
		return nil
	}
	p, _ := w.Prepare(func() any {
		if w.Quantized() {
			pb := kernels.PackBI8(w.Out, w.In, w.I8, w.In)
			return &prepared{i8: &pb}
		}
		pb := kernels.PackB(w.Out, w.In, w.F32, w.In)
		return &prepared{f32: &pb}
	}).(*prepared)
	return p
}

// epilogue adds the bias and applies the activation to rows [0, rows) × columns
// [lo, hi) of out (row length n).
func epilogue(out []float32, n, rows, lo, hi int, bias []float32, act runtime.Activation) {
	for r := range rows {
		row := out[r*n+lo : r*n+hi]
		if bias != nil {
			kernels.Axpy(1, bias[lo:hi], row)
		}
		activate(row, act)
	}
}

func (b *Backend) linearF32(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	if rows < manyRows {
		// Few rows (decoding): stream each weight row once.
		b.parallelAligned(n, 16, 4, func(lo, hi int) {
			kernels.GemmNT(rows, hi-lo, k, x, k, w.F32[lo*k:], k, out[lo:], n, acc)
			epilogue(out, n, rows, lo, hi, bias, act)
		})
		return
	}
	if p := b.prepared(w); p != nil && p.f32 != nil {
		pb := *p.f32
		nr := pb.NR()
		if (n+nr-1)/nr >= b.threads {
			b.parallelAligned(n, nr, nr, func(lo, hi int) {
				kernels.GemmPacked(rows, x, k, pb.Cols(lo, hi), out[lo:], n, acc)
				epilogue(out, n, rows, lo, hi, bias, act)
			})
			return
		}
		b.parallel(rows, 12, func(lo, hi int) {
			kernels.GemmPacked(hi-lo, x[lo*k:], k, pb, out[lo*n:], n, acc)
			epilogue(out[lo*n:], n, hi-lo, 0, n, bias, act)
		})
		return
	}
	// A large weight: every core packs its own columns as it goes.
	b.parallelAligned(n, 32, 32, func(lo, hi int) {
		kernels.GemmNT(rows, hi-lo, k, x, k, w.F32[lo*k:], k, out[lo:], n, acc)
		epilogue(out, n, rows, lo, hi, bias, act)
	})
}

// dequantBlock is how many weight rows linearW8 turns into floats at a time: about
// 512 KiB, well inside L2, so the product reads them from cache.
func dequantBlock(k int) int { return max(32, (1<<17)/max(k, 1)/32*32) }

// linearW8 is weight-only int8: float activations against int8 rows and their scales.
// One row (decoding) reads the int8 weights directly; several rows dequantize a block
// of weight rows into floats once and multiply it with every row.
func (b *Backend) linearW8(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	if rows <= 2 {
		b.parallelAligned(n, 16, 4, func(lo, hi int) {
			var tmp *[]float32
			if acc {
				tmp = b.floats(hi - lo)
			}
			for r := range rows {
				y := out[r*n+lo : r*n+hi]
				if acc {
					y = *tmp
				}
				kernels.GemvI8F32(hi-lo, k, w.I8[lo*k:], k, w.Scales[lo:hi], x[r*k:(r+1)*k], y)
				if acc {
					kernels.Axpy(1, y, out[r*n+lo:r*n+hi])
				}
			}
			if tmp != nil {
				b.release(tmp)
			}
			epilogue(out, n, rows, lo, hi, bias, act)
		})
		return
	}
	nb := dequantBlock(k)
	b.parallelAligned(n, 32, 32, func(lo, hi int) {
		buf := b.floats(min(nb, hi-lo) * k)
		for j0 := lo; j0 < hi; j0 += nb {
			j1 := min(j0+nb, hi)
			f := (*buf)[:(j1-j0)*k]
			for j := j0; j < j1; j++ {
				kernels.Dequantize(w.I8[j*k:(j+1)*k], w.Scales[j], f[(j-j0)*k:])
			}
			kernels.GemmNT(rows, j1-j0, k, x, k, f, k, out[j0:], n, acc)
		}
		b.release(buf)
		epilogue(out, n, rows, lo, hi, bias, act)
	})
}

// linearW8A8 quantizes each activation row symmetrically, multiplies in int8 with
// int32 accumulation, and scales the result by both scales.
func (b *Backend) linearW8A8(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	// Small activations are quantized by every chunk for itself (cheaper than a
	// second synchronisation); large ones once, in parallel.
	shared := rows*k > 1<<16
	var qx []int8
	var sx []float32
	if shared {
		qp, sp := b.int8s(rows*k), b.floats(rows)
		defer b.scratchQ.Put(qp)
		defer b.release(sp)
		qx, sx = *qp, *sp
		b.parallel(rows, 8, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				sx[r] = kernels.QuantizeRowSymmetric(x[r*k:(r+1)*k], qx[r*k:(r+1)*k])
			}
		})
	}
	var pq *kernels.PackedBI8
	align := 16
	if rows >= 4 {
		if p := b.prepared(w); p != nil && p.i8 != nil {
			pq = p.i8
			align = max(pq.NR(), 1)
		} else {
			align = 32
		}
	}
	b.parallelAligned(n, max(align, 16), align, func(lo, hi int) {
		q, s := qx, sx
		if !shared {
			qp, sp := b.int8s(rows*k), b.floats(rows)
			defer b.scratchQ.Put(qp)
			defer b.release(sp)
			q, s = *qp, *sp
			for r := range rows {
				s[r] = kernels.QuantizeRowSymmetric(x[r*k:(r+1)*k], q[r*k:(r+1)*k])
			}
		}
		cols := hi - lo
		ap := b.int32s(rows * cols)
		defer b.scratchI.Put(ap)
		accI := *ap
		if pq != nil {
			kernels.GemmI8Packed(rows, q, k, pq.Cols(lo, hi), accI, cols)
		} else {
			kernels.GemmI8NT(rows, cols, k, q, k, w.I8[lo*k:], k, accI, cols)
		}
		for r := range rows {
			kernels.DequantizeI32(accI[r*cols:(r+1)*cols], s[r], w.Scales[lo:hi], out[r*n+lo:r*n+hi], acc)
		}
		epilogue(out, n, rows, lo, hi, bias, act)
	})
}
