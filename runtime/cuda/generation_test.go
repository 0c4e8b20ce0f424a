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
			got, err := be.Embedding(w, ids)
			require.NoError(t, err)
			want := make([]float32, len(ids)*dim)
			for i, id := range ids {
				w.RowTo(id, want[i*dim:(i+1)*dim])
			}
			bound := 0.0
			if p == FP16 && !w.Quantized() {
				bound = 2e-3 // stored in fp16: 11-bit mantissa of values up to ~4
			}
			require.LessOrEqual(t, maxDiff(got.Data, want), bound, "%s quantized=%v", p, w.Quantized())
			_, err = be.Embedding(w, []int{3, vocab})
			require.ErrorContains(t, err, "outside the vocabulary")
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
	got, err := be.Argmax(runtime.FromData(x, rows, cols))
	require.NoError(t, err)
	for r := 0; r < rows; r++ {
		best := 0
		for i, v := range x[r*cols : (r+1)*cols] {
			if v > x[r*cols+best] {
				best = i
			}
		}
		require.Equal(t, best, got[r], "row %d", r)
	}
	require.Equal(t, 100, got[1])
	require.Equal(t, 0, got[2])
}

// TestKVCacheOnDevice appends in pieces and attends over the device cache, against the
// CPU's attention over the same rows.
func TestKVCacheOnDevice(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(2)
	rng := rand.New(rand.NewPCG(10, 10))
	heads, d := 4, 16
	width := heads * d
	c, err := be.NewKVCache(2, width, 20)
	require.NoError(t, err)
	defer func() { require.NoError(t, c.Close()) }()
	var allK, allV []float32
	for _, n := range []int{7, 1, 1, 3} {
		k, v := randn(rng, n*width, 1), randn(rng, n*width, 1)
		require.NoError(t, c.Append(1, runtime.FromData(k, n, width), runtime.FromData(v, n, width)))
		allK, allV = append(allK, k...), append(allV, v...)
	}
	require.Equal(t, 12, c.Len(1))
	require.Equal(t, 0, c.Len(0))
	keys, values, err := c.Rows(1)
	require.NoError(t, err)
	require.Equal(t, allK, keys.Data)
	require.Equal(t, allV, values.Data)

	q := runtime.FromData(randn(rng, width, 1), 1, width)
	p := runtime.AttentionParams{Heads: heads, HeadDim: d, Scale: 0.25, Causal: true, QueryOffset: 11}
	got, err := c.Attention(1, q, p)
	require.NoError(t, err)
	want := ref.Attention(q, runtime.FromData(allK, 12, width), runtime.FromData(allV, 12, width), p)
	require.Less(t, maxDiff(got.Data, want.Data), 3e-5)

	err = c.Append(1, runtime.NewTensor(9, width), runtime.NewTensor(9, width))
	require.ErrorContains(t, err, "cannot add 9")
}

// TestFusedAgainstCPU: the fused pairs equal the CPU's unfused operations.
func TestFusedAgainstCPU(t *testing.T) {
	ref := cpu.New(2)
	for _, p := range []Precision{FP32, FP16} {
		be := openOrSkip(t, p)
		rng := rand.New(rand.NewPCG(14, uint64(p)))
		rows, in, out := 9, 96, 160
		x := runtime.FromData(randn(rng, rows*in, 1), rows, in)
		l := runtime.Linear{W: &runtime.Weight{Out: out, In: in, F32: randn(rng, out*in, 1)}, Bias: randn(rng, out, 1)}
		for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActGELU, runtime.ActReLU} {
			want := ref.Linear(x, l)
			ref.Activate(want, act)
			require.Less(t, maxDiff(be.LinearAct(x, l, act).Data, want.Data), linearBound(p, in), "%s act %d", p, act)
		}
		dst := randn(rng, rows*out, 1)
		got, want := runtime.FromData(append([]float32(nil), dst...), rows, out), runtime.FromData(append([]float32(nil), dst...), rows, out)
		be.LinearAdd(x, l, got)
		ref.AddInPlace(want, ref.Linear(x, l))
		require.Less(t, maxDiff(got.Data, want.Data), linearBound(p, in), "%s linear add", p)

		for _, c := range []attnCase{{5, 5, 2, 8, false, false}, {1, 1, 4, 16, true, false}, {257, 257, 16, 88, false, false}, {6, 6, 3, 8, true, true}} {
			w := c.heads * c.d
			qkv := runtime.FromData(randn(rng, c.tq*3*w, 1), c.tq, 3*w)
			split := func(part int) *runtime.Tensor {
				s := runtime.NewTensor(c.tq, w)
				for r := 0; r < c.tq; r++ {
					copy(s.Row(r), qkv.Data[r*3*w+part*w:r*3*w+(part+1)*w])
				}
				return s
			}
			pa := runtime.AttentionParams{Heads: c.heads, HeadDim: c.d, Scale: 0.2, Causal: c.causal}
			if c.bias {
				pa.Bias = randn(rng, c.heads*c.tq*c.tq, 1)
			}
			want := ref.Attention(split(0), split(1), split(2), pa)
			bound := 3e-5
			if p != FP32 && c.tq > decodeMaxQueries {
				bound = 1e-2
			}
			require.Less(t, maxDiff(be.AttentionQKV(qkv, pa).Data, want.Data), bound, "%s qkv %+v", p, c)
		}
	}
}
