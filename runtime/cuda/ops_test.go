package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// Every op of the backend against the CPU backend on random inputs (llama.cpp's
// test-backend-ops idea). Bounds: fp32 to rounding; TF32 and fp16 products to the
// 10/11-bit mantissa of their inputs.

var precisions = []Precision{FP32, TF32, FP16}

// linearBound is the allowed max-abs error of a k-term product of unit-normal values.
func linearBound(p Precision, k int) float64 {
	if p == FP32 {
		return 1e-4 * math.Sqrt(float64(k))
	}
	return 5e-3 * math.Sqrt(float64(k))
}

func TestLinearAgainstCPU(t *testing.T) {
	ref := cpu.New(2)
	for _, p := range precisions {
		be := openOrSkip(t, p)
		rng := rand.New(rand.NewPCG(1, uint64(p)))
		// n or k not a multiple of 4 takes the int8 fallback kernel; the others cuBLASLt.
		for _, sh := range []struct{ rows, out, in int }{{1, 37, 65}, {2, 128, 64}, {5, 17, 3}, {40, 33, 129}, {197, 64, 48}, {1, 2560, 2560}, {43, 640, 256}} {
			for _, withBias := range []bool{true, false} {
				name := fmt.Sprintf("%s/%dx%dx%d/bias=%v", p, sh.rows, sh.out, sh.in, withBias)
				xv := randn(rng, sh.rows*sh.in, 1)
				x, xc := be.FromHost(xv, sh.rows, sh.in), ref.FromHost(xv, sh.rows, sh.in)
				w := randn(rng, sh.out*sh.in, 1)
				var bias []float32
				if withBias {
					bias = randn(rng, sh.out, 1)
				}
				fl := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, F32: w}, Bias: bias}
				got, want := be.Linear(x, fl), ref.Linear(xc, fl)
				require.Equal(t, want.Shape, got.Shape, name)
				require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), linearBound(p, sh.in), "float %s", name)

				q, s := quant.QuantizeRows(w, sh.out, sh.in)
				w8 := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s}, Bias: bias}
				require.Less(t, maxDiff(be.Host(be.Linear(x, w8), nil), ref.Host(ref.Linear(xc, w8), nil)), 1e-4*math.Sqrt(float64(sh.in)), "w8 %s", name)
				// W8A8: the same int8 products with int32 sums as the CPU, so only the
				// float scaling differs.
				a8 := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s, ActInt8: true}, Bias: bias}
				require.Less(t, maxDiff(be.Host(be.Linear(x, a8), nil), ref.Host(ref.Linear(xc, a8), nil)), 1e-4*math.Sqrt(float64(sh.in)), "w8a8 %s", name)
			}
		}
		// Shapes in 4s went through cuBLASLt, the others through the fallback kernel.
		lt, fb, why, err := be.Int8Stats()
		require.NoError(t, err)
		t.Logf("%s: int8 products through cuBLASLt %d, fallback kernel %d (last reason: %s)", p, lt, fb, why)
		require.Positive(t, lt, "cuBLASLt ran no int8 product; last reason: %s", why)
		require.Positive(t, fb)
		// A 3-D input keeps its leading dimensions.
		x := be.FromHost(randn(rng, 2*3*8, 1), 2, 3, 8)
		l := runtime.Linear{W: &runtime.Weight{Out: 4, In: 8, F32: randn(rng, 32, 1)}}
		require.Equal(t, []int{2, 3, 4}, be.Linear(x, l).Shape)
		require.Positive(t, be.ResidentBytes())
	}
}

// TestWeightsStayResident checks a weight is uploaded once and reused, and that two
// weights never share a device copy.
func TestWeightsStayResident(t *testing.T) {
	be := openOrSkip(t, FP16)
	rng := rand.New(rand.NewPCG(2, 2))
	x := be.FromHost(randn(rng, 3*64, 1), 3, 64)
	w1 := &runtime.Weight{Out: 32, In: 64, F32: randn(rng, 32*64, 1)}
	w2 := &runtime.Weight{Out: 32, In: 64, F32: randn(rng, 32*64, 1)}
	a := be.Linear(x, runtime.Linear{W: w1})
	after1 := be.ResidentBytes()
	require.Equal(t, int64(2*32*64), after1, "fp16 weight bytes")
	require.Equal(t, be.Host(a, nil), be.Host(be.Linear(x, runtime.Linear{W: w1}), nil))
	require.Equal(t, after1, be.ResidentBytes(), "second use uploads nothing")
	b := be.Linear(x, runtime.Linear{W: w2})
	require.Equal(t, 2*after1, be.ResidentBytes())
	require.Greater(t, maxDiff(be.Host(a, nil), be.Host(b, nil)), 0.1, "distinct weights give distinct outputs")
}

func TestNormsAgainstCPU(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(2)
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sh := range []struct{ rows, cols int }{{1, 7}, {3, 64}, {5, 1408}, {2, 2560}, {257, 192}} {
		x := randn(rng, sh.rows*sh.cols, 3)
		for i := range x {
			x[i] += 1.5 // a mean far from zero checks the two-pass variance
		}
		xt, xc := be.FromHost(x, sh.rows, sh.cols), ref.FromHost(x, sh.rows, sh.cols)
		w, bias := randn(rng, sh.cols, 1), randn(rng, sh.cols, 1)
		for _, tc := range []struct {
			name string
			w, b []float32
		}{{"affine", w, bias}, {"weight only", w, nil}, {"none", nil, nil}} {
			got, want := be.LayerNorm(xt, tc.w, tc.b, 1e-5), ref.LayerNorm(xc, tc.w, tc.b, 1e-5)
			require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), 2e-5, "layer norm %s %+v", tc.name, sh)
		}
		got, want := be.RMSNorm(xt, w, 1e-6), ref.RMSNorm(xc, w, 1e-6)
		require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), 2e-5, "rms norm %+v", sh)
		require.Equal(t, x, be.Host(xt, nil), "the input is untouched")
	}
}

func TestElementwiseAgainstCPU(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(2)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{1, 1000, 70001} {
		for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActReLU, runtime.ActGELU, runtime.ActGELUTanh} {
			x := randn(rng, n, 3)
			got, want := be.FromHost(x, n), ref.FromHost(x, n)
			be.Activate(got, act)
			ref.Activate(want, act)
			require.Less(t, maxDiff(be.Host(got, nil), ref.Host(want, nil)), 2e-6, "activation %d on %d values", act, n)
		}
		x, y := randn(rng, n, 1), randn(rng, n, 1)
		got, want := be.FromHost(x, n), ref.FromHost(x, n)
		be.AddInPlace(got, be.FromHost(y, n))
		ref.AddInPlace(want, ref.FromHost(y, n))
		require.Equal(t, ref.Host(want, nil), be.Host(got, nil), "add is exact")
		got, want = be.FromHost(x, n), ref.FromHost(x, n)
		be.MulInPlace(got, be.FromHost(y, n))
		ref.MulInPlace(want, ref.FromHost(y, n))
		require.Equal(t, ref.Host(want, nil), be.Host(got, nil), "mul is exact")
		got, want = be.FromHost(x, n), ref.FromHost(x, n)
		be.Scale(got, 0.37)
		ref.Scale(want, 0.37)
		require.Equal(t, ref.Host(want, nil), be.Host(got, nil), "scale is exact")
	}
}

// TestStorageOps checks the ways values move: up, down, rows copied on the device,
// gathered positions added, and views of rows.
func TestStorageOps(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(1)
	rng := rand.New(rand.NewPCG(15, 15))
	rows, cols := 7, 33
	x := randn(rng, rows*cols, 1)
	g, c := be.FromHost(x, rows, cols), ref.FromHost(x, rows, cols)
	require.Equal(t, x, be.Host(g, nil))
	table := randn(rng, 20*cols, 1)
	be.AddRows(g, table, 5)
	ref.AddRows(c, table, 5)
	require.Equal(t, ref.Host(c, nil), be.Host(g, nil), "positions added")
	dst, dstC := be.NewTensor(10, cols), ref.NewTensor(10, cols)
	be.Upload(dst, make([]float32, 10*cols))
	ref.Upload(dstC, make([]float32, 10*cols))
	be.CopyRows(dst, 2, g.RowsView(3, 6, nil))
	ref.CopyRows(dstC, 2, c.RowsView(3, 6, nil))
	require.Equal(t, ref.Host(dstC, nil), be.Host(dst, nil), "rows copied")
	require.Equal(t, ref.Host(c.RowsView(6, 7, nil), nil), be.Host(g.RowsView(6, 7, nil), nil), "a row view")
	be.Recycle(g)
	require.Panics(t, func() { be.Host(g, nil) }, "a given-back tensor has no storage")
}

type attnCase struct {
	tq, tk, heads, d int
	causal, bias     bool
}

// attnCases are the CPU test's cases plus the real models' decode and prefill shapes.
var attnCases = []attnCase{
	{7, 7, 2, 8, false, false}, {3, 9, 4, 4, false, true}, {5, 5, 1, 16, true, false}, {1, 12, 3, 8, true, true},
	{4, 10, 2, 8, true, false},
	{1, 75, 32, 80, true, false},     // OPT-2.7b decoding step
	{43, 43, 32, 80, true, false},    // OPT-2.7b prefill
	{1, 9, 32, 64, true, true},       // Flan-T5-XL decoder self-attention step
	{1, 43, 32, 64, false, false},    // Flan-T5-XL cross-attention step
	{257, 257, 16, 88, false, false}, // ViT-g
	{32, 257, 12, 64, false, false},  // Q-Former cross-attention
	{2, 3000, 2, 64, true, false},    // long context for the fused kernel
}

// attnInputs makes one case's inputs on the backend and on the CPU reference.
type attnInputs struct {
	q, k, v, bias []float32
	p             runtime.AttentionParams
	c             attnCase
}

func newAttnInputs(rng *rand.Rand, c attnCase) attnInputs {
	w := c.heads * c.d
	in := attnInputs{q: randn(rng, c.tq*w, 1), k: randn(rng, c.tk*w, 1), v: randn(rng, c.tk*w, 1), c: c,
		p: runtime.AttentionParams{Heads: c.heads, HeadDim: c.d, Scale: float32(1 / math.Sqrt(float64(c.d))),
			Causal: c.causal, QueryOffset: c.tk - c.tq}}
	if c.bias {
		in.bias = randn(rng, c.heads*c.tq*c.tk, 1)
	}
	return in
}

// on returns the inputs as tensors of be.
func (in attnInputs) on(be runtime.Backend) (q, k, v *runtime.Tensor, p runtime.AttentionParams) {
	w := in.c.heads * in.c.d
	p = in.p
	if in.bias != nil {
		p.Bias = be.FromHost(in.bias, in.c.heads, in.c.tq, in.c.tk)
	}
	return be.FromHost(in.q, in.c.tq, w), be.FromHost(in.k, in.c.tk, w), be.FromHost(in.v, in.c.tk, w), p
}

func TestAttentionAgainstCPU(t *testing.T) {
	ref := cpu.New(2)
	for _, prec := range []Precision{FP32, TF32} {
		be := openOrSkip(t, prec)
		rng := rand.New(rand.NewPCG(5, uint64(prec)))
		for _, c := range attnCases {
			in := newAttnInputs(rng, c)
			want := ref.Host(ref.Attention(in.on(ref)), nil)
			q, k, v, p := in.on(be)
			got := be.Host(be.Attention(q, k, v, p), nil)
			bound := 3e-5
			if prec == TF32 && c.tq > decodeMaxQueries {
				bound = 1e-2 // the GEMM path multiplies in TF32
			}
			require.Less(t, maxDiff(got, want), bound, "%s %+v", prec, c)

			// Both paths on their own, where they apply, in fp32.
			if prec != FP32 {
				continue
			}
			for _, path := range []string{"decode", "prefill"} {
				out, err := runPath(be, path, q, k, v, p)
				var e *Error
				if path == "decode" && err != nil && errors.As(err, &e) && e.Unsupported() {
					continue
				}
				require.NoError(t, err, "%s %+v", path, c)
				require.Less(t, maxDiff(out, want), 3e-5, "%s path %+v", path, c)
			}
		}
	}
}

// runPath runs one attention path directly, bypassing the backend's choice.
func runPath(b *Backend, path string, q, k, v *runtime.Tensor, p runtime.AttentionParams) ([]float32, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tq, tk := q.Rows(), k.Rows()
	out := make([]float32, q.Numel())
	a := attnArgs{q: ptr(q), k: ptr(k), v: ptr(v),
		out: b.slot(slotOut, 4*uint64(len(out))), tq: int32(tq), tk: int32(tk), heads: int32(p.Heads),
		headDim: int32(p.HeadDim), scale: p.Scale, allowT: b.tf32()}
	if p.Bias != nil {
		a.bias = ptr(p.Bias)
	}
	if p.Causal {
		a.causal, a.queryOffset = 1, int32(p.QueryOffset)
	}
	var err error
	if path == "decode" {
		err = b.call("edge_attention_decode", b.lib.attnDecode(b.ctx, &a))
	} else {
		err = b.call("edge_attention_prefill", b.lib.attnPrefill(b.ctx, &a))
	}
	if err != nil {
		return nil, err
	}
	b.download(out, a.out)
	return out, nil
}
