package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// TestSoftmaxAgainstReference checks the standalone softmax with bias and causal mask
// against float64 loops.
func TestSoftmaxAgainstReference(t *testing.T) {
	be := openOrSkip(t, FP32)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, c := range []struct {
		heads, tq, tk, offset int
		causal, bias          bool
	}{{1, 4, 4, 0, false, false}, {2, 3, 7, 4, true, true}, {4, 1, 300, 299, true, false}, {3, 5, 1000, 995, false, true}} {
		x := randn(rng, c.heads*c.tq*c.tk, 2)
		var bias []float32
		if c.bias {
			bias = randn(rng, len(x), 1)
		}
		want := make([]float32, len(x))
		for r := 0; r < c.heads*c.tq; r++ {
			i := r % c.tq
			limit := c.tk
			if c.causal {
				limit = min(c.tk, i+c.offset+1)
			}
			m, sum := math.Inf(-1), 0.0
			row := make([]float64, limit)
			for j := range row {
				row[j] = float64(x[r*c.tk+j])
				if bias != nil {
					row[j] += float64(bias[r*c.tk+j])
				}
				m = math.Max(m, row[j])
			}
			for j := range row {
				row[j] = math.Exp(row[j] - m)
				sum += row[j]
			}
			for j := range row {
				want[r*c.tk+j] = float32(row[j] / sum)
			}
		}
		got := make([]float32, len(x))
		func() {
			be.mu.Lock()
			defer be.mu.Unlock()
			dx := be.upload(slotA, x)
			var db uintptr
			if bias != nil {
				db = be.upload(slotB, bias)
			}
			causal := int32(0)
			if c.causal {
				causal = 1
			}
			be.must("edge_softmax", be.lib.softmax(be.ctx, dx, int32(c.heads), int32(c.tq), int32(c.tk), db, causal, int32(c.offset)))
			be.download(got, dx)
		}()
		require.Less(t, maxDiff(got, want), 1e-6, "%+v", c)
	}
}

// TestQuantizeRowsMatchesCPU: the device's int8 rows and scales equal the CPU rule
// (round half away from zero of x·127/max|x|) exactly, an all-zero row included.
func TestQuantizeRowsMatchesCPU(t *testing.T) {
	be := openOrSkip(t, FP32)
	rng := rand.New(rand.NewPCG(7, 7))
	rows, cols := 6, 301
	x := randn(rng, rows*cols, 2)
	clear(x[2*cols : 3*cols])
	wantQ, wantS := make([]int8, len(x)), make([]float32, rows)
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		m := float32(maxAbs(row))
		if m == 0 {
			wantS[r] = 1
			continue
		}
		inv := 127 / m
		for i, v := range row {
			wantQ[r*cols+i] = int8(max(-127, min(127, math.Round(float64(v*inv)))))
		}
		wantS[r] = m / 127
	}
	gotQ, gotS := make([]int8, len(x)), make([]float32, rows)
	be.mu.Lock()
	dx := be.upload(slotA, x)
	dq, ds := be.slot(slotB, uint64(len(x))), be.slot(slotC, 4*uint64(rows))
	be.must("edge_quantize_rows", be.lib.quantize(be.ctx, int32(rows), int32(cols), dx, dq, ds))
	be.must("edge_memcpy_d2h", be.lib.d2h(be.ctx, ptrOf(gotQ), dq, uint64(len(gotQ))))
	be.download(gotS, ds)
	be.mu.Unlock()
	require.Equal(t, wantQ, gotQ)
	require.Equal(t, wantS, gotS)
}

func TestEmbeddingAgainstRowTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	vocab, dim := 50, 72
	table := randn(rng, vocab*dim, 1)
	q, s := quant.QuantizeRows(table, vocab, dim)
	ids := []int{0, 49, 7, 7, 23}
	for _, p := range precisions {
		be := openOrSkip(t, p)
		for _, w := range []*runtime.Weight{{Out: vocab, In: dim, F32: table}, {Out: vocab, In: dim, I8: q, Scales: s}} {
			got := be.NewTensor(len(ids), dim)
			be.Embed(w, ids, got)
			want := make([]float32, len(ids)*dim)
			for i, id := range ids {
				w.RowTo(id, want[i*dim:(i+1)*dim])
			}
			bound := 0.0
			if p == FP16 && !w.Quantized() {
				bound = 2e-3 // stored in fp16: 11-bit mantissa of values up to ~4
			}
			require.LessOrEqual(t, maxDiff(be.Host(got, nil), want), bound, "%s quantized=%v", p, w.Quantized())
			require.Panics(t, func() { be.Embed(w, []int{3, vocab}, be.NewTensor(2, dim)) }, "an id outside the table")
		}
	}
}

func TestArgmaxAgainstHost(t *testing.T) {
	be := openOrSkip(t, FP32)
	rng := rand.New(rand.NewPCG(9, 9))
	rows, cols := 5, 50272
	x := randn(rng, rows*cols, 3)
	// Row 1: a tie between two maxima; the first index must win, as in runtime's argmax.
	x[cols+100], x[cols+40000] = 100, 100
	// Row 2: all equal.
	for i := 2 * cols; i < 3*cols; i++ {
		x[i] = -1
	}
	all := be.FromHost(x, rows, cols)
	for r := 0; r < rows; r++ {
		best := 0
		for i, v := range x[r*cols : (r+1)*cols] {
			if v > x[r*cols+best] {
				best = i
			}
		}
		require.Equal(t, best, be.Argmax(all.RowsView(0, r+1, nil)), "row %d (the last of the view)", r)
	}
}

// TestKVCacheOnDevice appends in pieces (growing past the first capacity) and attends
// over the cache's device views, against the CPU's attention over the same rows.
func TestKVCacheOnDevice(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(2)
	rng := rand.New(rand.NewPCG(10, 10))
	heads, d := 4, 16
	width := heads * d
	c := runtime.NewKVCache(be, 2, width, 8)
	var allK, allV []float32
	var keys, values *runtime.Tensor
	for _, n := range []int{7, 1, 1, 3} {
		k, v := randn(rng, n*width, 1), randn(rng, n*width, 1)
		keys, values = c.Append(1, be.FromHost(k, n, width), be.FromHost(v, n, width))
		allK, allV = append(allK, k...), append(allV, v...)
	}
	require.Equal(t, []int{12, width}, keys.Shape)
	require.Equal(t, allK, be.Host(keys, nil))
	require.Equal(t, allV, be.Host(values, nil))

	q := randn(rng, width, 1)
	p := runtime.AttentionParams{Heads: heads, HeadDim: d, Scale: 0.25, Causal: true, QueryOffset: 11}
	got := be.Attention(be.FromHost(q, 1, width), keys, values, p)
	want := ref.Attention(ref.FromHost(q, 1, width), ref.FromHost(allK, 12, width), ref.FromHost(allV, 12, width), p)
	require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), 3e-5)

	clone := c.Clone()
	k2, _ := clone.Append(1, be.FromHost(q, 1, width), be.FromHost(q, 1, width))
	require.Equal(t, append(append([]float32(nil), allK...), q...), be.Host(k2, nil), "a clone continues from the same rows")
	k1, _ := c.Append(1, be.FromHost(make([]float32, width), 1, width), be.FromHost(make([]float32, width), 1, width))
	require.Equal(t, allK, be.Host(k1, nil)[:12*width], "the original is untouched by its clone")
}

// TestFusedAgainstCPU: the fused pairs equal the CPU's unfused operations.
func TestFusedAgainstCPU(t *testing.T) {
	ref := cpu.New(2)
	for _, p := range []Precision{FP32, FP16} {
		be := openOrSkip(t, p)
		rng := rand.New(rand.NewPCG(14, uint64(p)))
		rows, in, out := 9, 96, 160
		xv := randn(rng, rows*in, 1)
		x, xc := be.FromHost(xv, rows, in), ref.FromHost(xv, rows, in)
		l := runtime.Linear{W: &runtime.Weight{Out: out, In: in, F32: randn(rng, out*in, 1)}, Bias: randn(rng, out, 1)}
		for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActGELU, runtime.ActReLU} {
			want := ref.Linear(xc, l)
			ref.Activate(want, act)
			require.Less(t, maxDiff(be.Host(be.LinearAct(x, l, act), nil), ref.Host(want, nil)), linearBound(p, in), "%s act %d", p, act)
		}
		dst := randn(rng, rows*out, 1)
		got, want := be.FromHost(dst, rows, out), ref.FromHost(dst, rows, out)
		be.LinearAdd(x, l, got)
		ref.AddInPlace(want, ref.Linear(xc, l))
		require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), linearBound(p, in), "%s linear add", p)

		for _, c := range []attnCase{{5, 5, 2, 8, false, false}, {1, 1, 4, 16, true, false}, {257, 257, 16, 88, false, false}, {6, 6, 3, 8, true, true}} {
			w := c.heads * c.d
			qkv := randn(rng, c.tq*3*w, 1)
			split := func(part int) *runtime.Tensor {
				s := make([]float32, c.tq*w)
				for r := 0; r < c.tq; r++ {
					copy(s[r*w:(r+1)*w], qkv[r*3*w+part*w:r*3*w+(part+1)*w])
				}
				return ref.FromHost(s, c.tq, w)
			}
			pa := runtime.AttentionParams{Heads: c.heads, HeadDim: c.d, Scale: 0.2, Causal: c.causal}
			pc := pa
			if c.bias {
				bias := randn(rng, c.heads*c.tq*c.tq, 1)
				pa.Bias, pc.Bias = be.FromHost(bias, c.heads, c.tq, c.tq), ref.FromHost(bias, c.heads, c.tq, c.tq)
			}
			want := ref.Host(ref.Attention(split(0), split(1), split(2), pc), nil)
			bound := 3e-5
			if p != FP32 && c.tq > decodeMaxQueries {
				bound = 1e-2
			}
			require.Less(t, maxDiff(be.Host(be.AttentionQKV(be.FromHost(qkv, c.tq, 3*w), pa), nil), want), bound, "%s qkv %+v", p, c)
		}
	}
}
