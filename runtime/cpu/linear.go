package cpu

import (
	"fmt"

	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/kernels"
)

// Linear returns x·Wᵀ + bias.
func (b *Backend) Linear(x *runtime.Tensor, l runtime.Linear) *runtime.Tensor {
	out := b.linearOut(x, l)
	b.linear(x, l, data(out), false, runtime.ActIdentity)
	return out
}

// LinearAct returns act(x·Wᵀ + bias), the activation applied by the core that
// computed each block while it is in cache.
func (b *Backend) LinearAct(x *runtime.Tensor, l runtime.Linear, act runtime.Activation) *runtime.Tensor {
	out := b.linearOut(x, l)
	b.linear(x, l, data(out), false, act)
	return out
}

// LinearAdd does dst += x·Wᵀ + bias: the product accumulates straight into dst.
func (b *Backend) LinearAdd(x *runtime.Tensor, l runtime.Linear, dst *runtime.Tensor) {
	if x.Cols() != l.W.In || dst.Cols() != l.W.Out || dst.Rows() != x.Rows() {
		panic(fmt.Sprintf("cpu: linear-add of %v through [%d,%d] into %v", x.Shape, l.W.Out, l.W.In, dst.Shape))
	}
	b.linear(x, l, data(dst), true, runtime.ActIdentity)
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
	case w.Int4():
		b.linearW4(data(x), rows, w, l.Bias, out, acc, act)
	case w.Is16():
		b.linearH16(data(x), rows, w, l.Bias, out, acc, act)
	case w.Quantized() && w.ActInt8:
		b.linearW8A8(data(x), rows, w, l.Bias, out, acc, act)
	case w.Quantized():
		b.linearW8(data(x), rows, w, l.Bias, out, acc, act)
	default:
		b.linearF32(data(x), rows, w, l.Bias, out, acc, act)
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
		f := w.F32
		if w.Is16() {
			// Small 16-bit weights (the shapes model is stored in fp16) are packed
			// widened, as fp32 ones are: a few MB, and the image path runs at fp32 speed.
			f = make([]float32, len(w.Half))
			kernels.WidenH16(w.Half, w.BF16, f)
		}
		pb := kernels.PackB(w.Out, w.In, f, w.In)
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
	t := task{x: x, rows: rows, w: w, bias: bias, out: out, acc: acc, act: act, n: n, k: k}
	if rows < manyRows {
		// Few rows (decoding): stream each weight row once.
		b.parallelAligned(n, 16, 4, gemmColumns, &t)
		return
	}
	if b.packedProduct(&t) {
		return
	}
	// A large weight: every core packs its own columns as it goes.
	b.parallelAligned(n, 32, 32, gemmColumns, &t)
}

// packedProduct runs t against the weight's packed fp32 form, split by columns or,
// when there are fewer panels than threads, by rows; false when the weight is too
// large to keep packed.
func (b *Backend) packedProduct(t *task) bool {
	p := b.prepared(t.w)
	if p == nil || p.f32 == nil {
		return false
	}
	t.pb = *p.f32
	nr := t.pb.NR()
	if t.rows < splitRows*b.threads && (t.n+nr-1)/nr >= b.threads {
		b.parallelAligned(t.n, nr, nr, packedColumns, t)
		return true
	}
	b.parallel(t.rows, min(splitRows, 12), packedRows, t)
	return true
}

// splitRows is the rows per thread from which a product with a packed weight is split
// by rows (tokens) rather than by output columns. Each core then reads only the rows
// it wrote in the operations before (norms, residuals and products split the same
// way, chunk 0 always on the dispatching goroutine) and its results stay in its own
// cache for the next one; split by columns, every product's input came half from the
// other core's cache, which on two cores without a shared cache made two threads no
// faster than one (the shapes image path in int8: 3.6 ms on one thread, 4.0 on two).
// The packed weight is small (under packLimit) and read by both.
const splitRows = 32

// gemmColumns computes output columns [lo, hi) from the weight's rows.
func gemmColumns(t *task, lo, hi int) {
	n, k := t.n, t.k
	kernels.GemmNT(t.rows, hi-lo, k, t.x, k, t.w.F32[lo*k:], k, t.out[lo:], n, t.acc)
	epilogue(t.out, n, t.rows, lo, hi, t.bias, t.act)
}

// packedColumns computes output columns [lo, hi) from the packed weight.
func packedColumns(t *task, lo, hi int) {
	kernels.GemmPacked(t.rows, t.x, t.k, t.pb.Cols(lo, hi), t.out[lo:], t.n, t.acc)
	epilogue(t.out, t.n, t.rows, lo, hi, t.bias, t.act)
}

// packedRows computes output rows [lo, hi) from the packed weight.
func packedRows(t *task, lo, hi int) {
	n, k := t.n, t.k
	kernels.GemmPacked(hi-lo, t.x[lo*k:], k, t.pb, t.out[lo*n:], n, t.acc)
	epilogue(t.out[lo*n:], n, hi-lo, 0, n, t.bias, t.act)
}

// dequantBlock is how many weight rows linearW8 turns into floats at a time: about
// 512 KiB, well inside L2, so the product reads them from cache.
func dequantBlock(k int) int { return max(32, (1<<17)/max(k, 1)/32*32) }

// linearW8 is weight-only int8: float activations against int8 rows and their scales.
// One row (decoding) reads the int8 weights directly; several rows dequantize a block
// of weight rows into floats once and multiply it with every row.
func (b *Backend) linearW8(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	t := task{b: b, x: x, rows: rows, w: w, bias: bias, out: out, acc: acc, act: act, n: n, k: k}
	if rows <= 2 {
		// Decoding: each activation row quantized in blocks once, then int8 products
		// that read the weights at memory speed (converting every weight to float
		// made this compute-bound).
		nb := k / kernels.Q8Block
		qp, sp := b.int8s(rows*k), b.q8Scales.get(rows*(nb+1))
		defer b.scratchQ.put(qp)
		defer b.q8Scales.put(sp)
		for r := range rows {
			t.q8[r].Q = (*qp)[r*k : r*k : (r+1)*k]
			t.q8[r].S = (*sp)[r*(nb+1) : r*(nb+1) : (r+1)*(nb+1)]
			t.q8[r].Quantize(x[r*k : (r+1)*k])
		}
		b.parallelAligned(n, 16, 4, gemvW8Columns, &t)
		return
	}
	t.nb = dequantBlock(k)
	b.parallelAligned(n, 32, 32, dequantColumns, &t)
}

// gemvW8Columns computes output columns [lo, hi) for one or two rows from int8 weights
// and the rows' block-quantized activations.
func gemvW8Columns(t *task, lo, hi int) { gemvColumns(t, lo, hi, gemvW8Row) }

func gemvW8Row(t *task, r, lo, hi int, y []float32) {
	k := t.k
	kernels.GemvI8Q8(hi-lo, k, t.w.I8[lo*k:], k, t.w.Scales[lo:hi], &t.q8[r], y)
}

// gemvColumns computes output columns [lo, hi) for each of the task's one or two rows
// with row, which writes row r's columns into y (a scratch row when the product is
// added to what out holds), then adds the bias and activates. row is a plain function,
// not a closure: the task reaches it through the pool without an allocation.
func gemvColumns(t *task, lo, hi int, row func(t *task, r, lo, hi int, y []float32)) {
	n := t.n
	var tmp *[]float32
	if t.acc {
		tmp = t.b.floats(hi - lo)
	}
	for r := range t.rows {
		y := t.out[r*n+lo : r*n+hi]
		if t.acc {
			y = *tmp
		}
		row(t, r, lo, hi, y)
		if t.acc {
			kernels.Axpy(1, y, t.out[r*n+lo:r*n+hi])
		}
	}
	if tmp != nil {
		t.b.release(tmp)
	}
	epilogue(t.out, n, t.rows, lo, hi, t.bias, t.act)
}

// dequantColumns computes output columns [lo, hi) by dequantising (int8, int4) or
// widening (16-bit) blocks of weight rows.
func dequantColumns(t *task, lo, hi int) {
	n, k, w := t.n, t.k, t.w
	buf := t.b.floats(min(t.nb, hi-lo) * k)
	for j0 := lo; j0 < hi; j0 += t.nb {
		j1 := min(j0+t.nb, hi)
		f := (*buf)[:(j1-j0)*k]
		switch {
		case w.Is16():
			kernels.WidenH16(w.Half[j0*k:j1*k], w.BF16, f)
		case w.Int4():
			for j := j0; j < j1; j++ {
				w.RowTo(j, f[(j-j0)*k:(j-j0+1)*k])
			}
		default:
			for j := j0; j < j1; j++ {
				kernels.Dequantize(w.I8[j*k:(j+1)*k], w.Scales[j], f[(j-j0)*k:])
			}
		}
		kernels.GemmNT(t.rows, j1-j0, k, t.x, k, f, k, t.out[j0:], n, t.acc)
	}
	t.b.release(buf)
	epilogue(t.out, n, t.rows, lo, hi, t.bias, t.act)
}

// linearW4 is weight-only int4, as linearW8: one or two rows read the packed nibbles
// directly (GemvQ4F32); more rows dequantize blocks of weight rows into floats.
func (b *Backend) linearW4(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	t := task{b: b, x: x, rows: rows, w: w, bias: bias, out: out, acc: acc, act: act, n: n, k: k}
	if rows <= 2 {
		b.parallelAligned(n, 16, 4, gemvW4Columns, &t)
		return
	}
	t.nb = dequantBlock(k)
	b.parallelAligned(n, 32, 32, dequantColumns, &t)
}

// gemvW4Columns computes output columns [lo, hi) for one or two rows from int4 weights.
func gemvW4Columns(t *task, lo, hi int) { gemvColumns(t, lo, hi, gemvW4Row) }

func gemvW4Row(t *task, r, lo, hi int, y []float32) {
	k, w := t.k, t.w
	rb, ng := kernels.Q4RowBytes(k, w.Group), kernels.Q4Groups(k, w.Group)
	kernels.GemvQ4F32(hi-lo, k, w.Group, w.I4[lo*rb:hi*rb], w.GroupScales[lo*ng:hi*ng], t.x[r*k:(r+1)*k], y)
}

// linearH16 is 16-bit float weights (fp16 or bfloat16) against float activations,
// widened inside the kernels so that the weights stay half the size of fp32 in memory.
// Few rows (decoding) read the 16-bit rows directly; more widen a block of weight rows
// into floats once and multiply it with every row, as linearW8 does; only small weights
// (under packLimit) are packed widened once, as fp32 ones are: a packed fp32 copy of a
// large one would triple the memory it takes.
func (b *Backend) linearH16(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	t := task{b: b, x: x, rows: rows, w: w, bias: bias, out: out, acc: acc, act: act, n: n, k: k}
	if rows <= 2 {
		b.parallelAligned(n, 16, 4, gemvH16Columns, &t)
		return
	}
	if rows >= manyRows && b.packedProduct(&t) {
		return
	}
	t.nb = dequantBlock(k)
	b.parallelAligned(n, 32, 32, dequantColumns, &t)
}

// gemvH16Columns computes output columns [lo, hi) for one or two rows from 16-bit weights.
func gemvH16Columns(t *task, lo, hi int) { gemvColumns(t, lo, hi, gemvH16Row) }

func gemvH16Row(t *task, r, lo, hi int, y []float32) {
	k := t.k
	kernels.GemvH16F32(hi-lo, k, t.w.Half[lo*k:], k, t.w.BF16, t.x[r*k:(r+1)*k], y)
}

// linearW8A8 quantizes each activation row symmetrically, multiplies in int8 with
// int32 accumulation, and scales the result by both scales.
func (b *Backend) linearW8A8(x []float32, rows int, w *runtime.Weight, bias, out []float32, acc bool, act runtime.Activation) {
	n, k := w.Out, w.In
	t := task{b: b, x: x, rows: rows, w: w, bias: bias, out: out, acc: acc, act: act, n: n, k: k}
	if rows >= splitRows*b.threads {
		if p := b.prepared(w); p != nil && p.i8 != nil {
			t.pq = p.i8
			b.parallel(rows, splitRows, w8a8Rows, &t)
			return
		}
	}
	// Split by columns: small activations are quantized by every chunk for itself
	// (cheaper than a second synchronisation); large ones once, in parallel.
	t.shared = rows*k > 1<<16
	if t.shared {
		qp, sp := b.int8s(rows*k), b.floats(rows)
		defer b.scratchQ.put(qp)
		defer b.release(sp)
		t.qx, t.sx = *qp, *sp
		b.parallel(rows, 8, quantizeRows, &t)
	}
	align := 16
	if rows >= 4 {
		if p := b.prepared(w); p != nil && p.i8 != nil {
			t.pq = p.i8
			align = max(t.pq.NR(), 1)
		} else {
			align = 32
		}
	}
	b.parallelAligned(n, max(align, 16), align, w8a8Columns, &t)
}

// quantizeRows quantizes activation rows [lo, hi) into the task's shared buffers.
func quantizeRows(t *task, lo, hi int) {
	k := t.k
	for r := lo; r < hi; r++ {
		t.sx[r] = kernels.QuantizeRowSymmetric(t.x[r*k:(r+1)*k], t.qx[r*k:(r+1)*k])
	}
}

// w8a8Rows computes output rows [lo, hi) in int8 against the packed weight: the
// rows' activations quantized here, then every column (see splitRows).
func w8a8Rows(t *task, lo, hi int) {
	b, n, k, rows := t.b, t.n, t.k, hi-lo
	qp, sp, ap := b.int8s(rows*k), b.floats(rows), b.int32s(rows*n)
	defer b.scratchQ.put(qp)
	defer b.release(sp)
	defer b.scratchI.put(ap)
	q, s, accI := *qp, *sp, *ap
	for r := range rows {
		s[r] = kernels.QuantizeRowSymmetric(t.x[(lo+r)*k:(lo+r+1)*k], q[r*k:(r+1)*k])
	}
	kernels.GemmI8Packed(rows, q, k, *t.pq, accI, n)
	for r := range rows {
		out := t.out[(lo+r)*n : (lo+r+1)*n]
		kernels.DequantizeI32(accI[r*n:(r+1)*n], s[r], t.w.Scales[:n], out, t.acc)
		epilogue(out, n, 1, 0, n, t.bias, t.act)
	}
}

// w8a8Columns computes output columns [lo, hi) in int8.
func w8a8Columns(t *task, lo, hi int) {
	b, n, k, rows, w := t.b, t.n, t.k, t.rows, t.w
	q, s := t.qx, t.sx
	if !t.shared {
		qp, sp := b.int8s(rows*k), b.floats(rows)
		defer b.scratchQ.put(qp)
		defer b.release(sp)
		q, s = *qp, *sp
		for r := range rows {
			s[r] = kernels.QuantizeRowSymmetric(t.x[r*k:(r+1)*k], q[r*k:(r+1)*k])
		}
	}
	cols := hi - lo
	ap := b.int32s(rows * cols)
	defer b.scratchI.put(ap)
	accI := *ap
	if t.pq != nil {
		kernels.GemmI8Packed(rows, q, k, t.pq.Cols(lo, hi), accI, cols)
	} else {
		kernels.GemmI8NT(rows, cols, k, q, k, w.I8[lo*k:], k, accI, cols)
	}
	// Row by row, so that the bias and activation find the row still in L1.
	for r := range rows {
		kernels.DequantizeI32(accI[r*cols:(r+1)*cols], s[r], w.Scales[lo:hi], t.out[r*n+lo:r*n+hi], t.acc)
		epilogue(t.out[r*n:], n, 1, lo, hi, t.bias, t.act)
	}
}
