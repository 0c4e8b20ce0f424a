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
				x := runtime.FromData(randn(rng, sh.rows*sh.in, 1), sh.rows, sh.in)
				w := randn(rng, sh.out*sh.in, 1)
				var bias []float32
				if withBias {
					bias = randn(rng, sh.out, 1)
				}
				fl := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, F32: w}, Bias: bias}
				got, want := be.Linear(x, fl), ref.Linear(x, fl)
				require.Equal(t, want.Shape, got.Shape, name)
				require.Less(t, maxDiff(got.Data, want.Data), linearBound(p, sh.in), "float %s", name)

				q, s := quant.QuantizeRows(w, sh.out, sh.in)
				w8 := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s}, Bias: bias}
				require.Less(t, maxDiff(be.Linear(x, w8).Data, ref.Linear(x, w8).Data), 1e-4*math.Sqrt(float64(sh.in)), "w8 %s", name)
				// W8A8: the same int8 products with int32 sums as the CPU, so only the
				// float scaling differs.
				a8 := runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s, ActInt8: true}, Bias: bias}
				require.Less(t, maxDiff(be.Linear(x, a8).Data, ref.Linear(x, a8).Data), 1e-4*math.Sqrt(float64(sh.in)), "w8a8 %s", name)
			}
		}
		// Shapes in 4s went through cuBLASLt, the others through the fallback kernel.
		lt, fb, why, err := be.Int8Stats()
		require.NoError(t, err)
		t.Logf("%s: int8 products through cuBLASLt %d, fallback kernel %d (last reason: %s)", p, lt, fb, why)
		require.Positive(t, lt, "cuBLASLt ran no int8 product; last reason: %s", why)
		require.Positive(t, fb)
		// A 3-D input keeps its leading dimensions.
		x := runtime.FromData(randn(rng, 2*3*8, 1), 2, 3, 8)
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
	x := runtime.FromData(randn(rng, 3*64, 1), 3, 64)
	w1 := &runtime.Weight{Out: 32, In: 64, F32: randn(rng, 32*64, 1)}
	w2 := &runtime.Weight{Out: 32, In: 64, F32: randn(rng, 32*64, 1)}
	a := be.Linear(x, runtime.Linear{W: w1})
	after1 := be.ResidentBytes()
	require.Equal(t, int64(2*32*64), after1, "fp16 weight bytes")
	require.Equal(t, a.Data, be.Linear(x, runtime.Linear{W: w1}).Data)
	require.Equal(t, after1, be.ResidentBytes(), "second use uploads nothing")
	b := be.Linear(x, runtime.Linear{W: w2})
	require.Equal(t, 2*after1, be.ResidentBytes())
	require.Greater(t, maxDiff(a.Data, b.Data), 0.1, "distinct weights give distinct outputs")
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
		xt := runtime.FromData(x, sh.rows, sh.cols)
		w, bias := randn(rng, sh.cols, 1), randn(rng, sh.cols, 1)
		for _, tc := range []struct {
			name string
			w, b []float32
		}{{"affine", w, bias}, {"weight only", w, nil}, {"none", nil, nil}} {
			got, want := be.LayerNorm(xt, tc.w, tc.b, 1e-5), ref.LayerNorm(xt, tc.w, tc.b, 1e-5)
			require.Less(t, maxDiff(got.Data, want.Data), 2e-5, "layer norm %s %+v", tc.name, sh)
		}
		got, want := be.RMSNorm(xt, w, 1e-6), ref.RMSNorm(xt, w, 1e-6)
		require.Less(t, maxDiff(got.Data, want.Data), 2e-5, "rms norm %+v", sh)
		require.Equal(t, x, xt.Data, "the input is untouched")
	}
}

func TestElementwiseAgainstCPU(t *testing.T) {
	be := openOrSkip(t, FP32)
	ref := cpu.New(2)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{1, 1000, 70001} {
		for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActReLU, runtime.ActGELU, runtime.ActGELUTanh} {
			x := randn(rng, n, 3)
			got, want := runtime.FromData(append([]float32(nil), x...), n), runtime.FromData(append([]float32(nil), x...), n)
			be.Activate(got, act)
			ref.Activate(want, act)
			require.Less(t, maxDiff(got.Data, want.Data), 2e-6, "activation %d on %d values", act, n)
		}
		x, y := randn(rng, n, 1), randn(rng, n, 1)
		got, want := runtime.FromData(append([]float32(nil), x...), n), runtime.FromData(append([]float32(nil), x...), n)
		be.AddInPlace(got, runtime.FromData(y, n))
		ref.AddInPlace(want, runtime.FromData(y, n))
		require.Equal(t, want.Data, got.Data, "add is exact")
		got, want = runtime.FromData(append([]float32(nil), x...), n), runtime.FromData(append([]float32(nil), x...), n)
		be.MulInPlace(got, runtime.FromData(y, n))
		ref.MulInPlace(want, runtime.FromData(y, n))
		require.Equal(t, want.Data, got.Data, "mul is exact")
	}
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

func attnInputs(rng *rand.Rand, c attnCase) (q, k, v *runtime.Tensor, p runtime.AttentionParams) {
	w := c.heads * c.d
	q = runtime.FromData(randn(rng, c.tq*w, 1), c.tq, w)
	k = runtime.FromData(randn(rng, c.tk*w, 1), c.tk, w)
	v = runtime.FromData(randn(rng, c.tk*w, 1), c.tk, w)
	p = runtime.AttentionParams{Heads: c.heads, HeadDim: c.d, Scale: float32(1 / math.Sqrt(float64(c.d))),
		Causal: c.causal, QueryOffset: c.tk - c.tq}
	if c.bias {
		p.Bias = randn(rng, c.heads*c.tq*c.tk, 1)
	}
	return q, k, v, p
}

func TestAttentionAgainstCPU(t *testing.T) {
	ref := cpu.New(2)
	for _, prec := range []Precision{FP32, TF32} {
		be := openOrSkip(t, prec)
		rng := rand.New(rand.NewPCG(5, uint64(prec)))
		for _, c := range attnCases {
			q, k, v, p := attnInputs(rng, c)
			want := ref.Attention(q, k, v, p)
			got := be.Attention(q, k, v, p)
			bound := 3e-5
			if prec == TF32 && c.tq > decodeMaxQueries {
				bound = 1e-2 // the GEMM path multiplies in TF32
			}
			require.Less(t, maxDiff(got.Data, want.Data), bound, "%s %+v", prec, c)

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
				require.Less(t, maxDiff(out, want.Data), 3e-5, "%s path %+v", path, c)
			}
		}
	}
}

// runPath runs one attention path directly, bypassing the backend's choice.
func runPath(b *Backend, path string, q, k, v *runtime.Tensor, p runtime.AttentionParams) ([]float32, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tq, tk := q.Rows(), k.Rows()
	out := make([]float32, len(q.Data))
	a := attnArgs{q: b.upload(slotA, q.Data), k: b.upload(slotB, k.Data), v: b.upload(slotC, v.Data),
		out: b.slot(slotOut, 4*uint64(len(out))), tq: int32(tq), tk: int32(tk), heads: int32(p.Heads),
		headDim: int32(p.HeadDim), scale: p.Scale, allowT: b.tf32()}
	if p.Bias != nil {
		a.bias = b.upload(slotD, p.Bias)
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
