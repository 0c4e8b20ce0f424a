package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
	"github.com/edgevlm/edge/runtime/kernels"
)

func randn(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// maxDiff is +Inf when the lengths differ: an empty result must not compare as equal.
func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// TestLinearAgainstReference checks the float, weight-only int8 and W8A8 paths, split
// both ways (few rows: over outputs; many rows: over rows), against plain loops.
func TestLinearAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, threads := range []int{1, 3} {
		be := New(threads)
		for _, sh := range []struct{ rows, out, in int }{{1, 37, 65}, {2, 128, 64}, {5, 17, 3}, {40, 33, 129}, {197, 64, 48}} {
			x := randn(rng, sh.rows*sh.in)
			w := randn(rng, sh.out*sh.in)
			bias := randn(rng, sh.out)
			want := make([]float32, sh.rows*sh.out)
			gemmNTRef(sh.rows, sh.out, sh.in, x, w, want)
			for i := range want {
				want[i] += bias[i%sh.out]
			}
			xt := tensorcore.NewHost(x, sh.rows, sh.in)
			got := be.Linear(xt, runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, F32: w}, Bias: bias})
			require.Less(t, maxDiff(data(got), want), 1e-4*math.Sqrt(float64(sh.in)), "f32 %+v", sh)

			q, s := quant.QuantizeRows(w, sh.out, sh.in)
			deq := quant.Dequantize(q, s, sh.in)
			wantQ := make([]float32, sh.rows*sh.out)
			gemmNTRef(sh.rows, sh.out, sh.in, x, deq, wantQ)
			wantW8 := make([]float32, sh.rows*sh.out)
			gemmNTRef(sh.rows, sh.out, sh.in, w8Activations(x, sh.rows, sh.in), deq, wantW8)
			gotQ := be.Linear(xt, runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s}})
			require.Less(t, maxDiff(data(gotQ), wantW8), 1e-4*math.Sqrt(float64(sh.in)), "w8 %+v", sh)

			// W8A8: the activations are rounded too, so compare with the float product
			// within what 8-bit activations allow.
			gotA := be.Linear(xt, runtime.Linear{W: &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s, ActInt8: true}})
			var amax float64
			for _, v := range x {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			bound := amax / 127 * 3 * math.Sqrt(float64(sh.in)) // ~3σ of the rounding noise
			require.Less(t, maxDiff(data(gotA), wantQ), bound, "w8a8 %+v", sh)
		}
	}
}

// w8Activations is what the weight-only int8 path multiplies the weights with: one or
// two rows (decoding) quantized in blocks as kernels.Q8 does, more rows as they are.
func w8Activations(x []float32, rows, in int) []float32 {
	if rows > 2 {
		return x
	}
	out := append([]float32(nil), x...)
	for r := range rows {
		var v kernels.Q8
		v.Quantize(x[r*in : (r+1)*in])
		for j, q := range v.Q {
			out[r*in+j] = v.S[j/kernels.Q8Block] * float32(q)
		}
	}
	return out
}

func TestAttentionAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	be := New(2)
	for _, tc := range []struct {
		tq, tk, heads, d int
		causal, bias     bool
	}{{7, 7, 2, 8, false, false}, {3, 9, 4, 4, false, true}, {5, 5, 1, 16, true, false}, {1, 12, 3, 8, true, true}, {4, 10, 2, 8, true, false},
		// Enough queries for blocks in a multiple of the threads (and a partial last one).
		{197, 197, 3, 16, false, false}, {67, 80, 2, 8, true, true}, {131, 131, 3, 8, true, false}} {
		w := tc.heads * tc.d
		q, k, v := randn(rng, tc.tq*w), randn(rng, tc.tk*w), randn(rng, tc.tk*w)
		var bias []float32
		p := runtime.AttentionParams{Heads: tc.heads, HeadDim: tc.d, Scale: 0.3, Causal: tc.causal, QueryOffset: tc.tk - tc.tq}
		if tc.bias {
			bias = randn(rng, tc.heads*tc.tq*tc.tk)
			p.Bias = tensorcore.NewHost(bias, tc.heads, tc.tq, tc.tk)
		}
		offset := tc.tk - tc.tq
		got := be.Attention(tensorcore.NewHost(q, tc.tq, w), tensorcore.NewHost(k, tc.tk, w), tensorcore.NewHost(v, tc.tk, w), p)
		want := make([]float32, tc.tq*w)
		for h := 0; h < tc.heads; h++ {
			for i := 0; i < tc.tq; i++ {
				scores := make([]float64, tc.tk)
				m := math.Inf(-1)
				for j := 0; j < tc.tk; j++ {
					if tc.causal && j > i+offset {
						scores[j] = math.Inf(-1)
						continue
					}
					var s float64
					for c := 0; c < tc.d; c++ {
						s += float64(q[i*w+h*tc.d+c]) * float64(k[j*w+h*tc.d+c])
					}
					s *= 0.3
					if bias != nil {
						s += float64(bias[(h*tc.tq+i)*tc.tk+j])
					}
					scores[j] = s
					m = math.Max(m, s)
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - m)
					sum += scores[j]
				}
				for j := range scores {
					for c := 0; c < tc.d; c++ {
						want[i*w+h*tc.d+c] += float32(scores[j] / sum * float64(v[j*w+h*tc.d+c]))
					}
				}
			}
		}
		require.Less(t, maxDiff(data(got), want), 1e-5, "%+v", tc)
	}
}

// TestLinearInt4AgainstReference checks the int4 path (GEMV for one and two rows,
// dequantized blocks for more, accumulating or not) against plain loops over the
// values quant's writer stands for.
func TestLinearInt4AgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, threads := range []int{1, 3} {
		be := New(threads)
		for _, g := range []int{32, 64, 128} {
			for _, sh := range []struct{ rows, out, in int }{{1, 37, 65}, {2, 128, 64}, {3, 17, 3}, {40, 33, 129}, {197, 64, 256}} {
				x := randn(rng, sh.rows*sh.in)
				w := randn(rng, sh.out*sh.in)
				bias := randn(rng, sh.out)
				q, s := quant.QuantizeRowsQ4(w, sh.out, sh.in, g)
				deq := quant.DequantizeQ4(q, s, sh.out, sh.in, g)
				ng := quant.Q4Groups(sh.in, g)
				for i := range w {
					r, c := i/sh.in, i%sh.in
					step := float64(safetensors.F16ToF32(s[r*ng+c/g]))
					require.LessOrEqual(t, math.Abs(float64(deq[i]-w[i])), 0.5*step*(1+1e-3)+1e-7, "rounding error beyond half a step (g=%d %+v)", g, sh)
				}
				want := make([]float32, sh.rows*sh.out)
				gemmNTRef(sh.rows, sh.out, sh.in, x, deq, want)
				for i := range want {
					want[i] += bias[i%sh.out]
				}
				wt := &runtime.Weight{Out: sh.out, In: sh.in, I4: q, GroupScales: s, Group: g}
				xt := tensorcore.NewHost(x, sh.rows, sh.in)
				got := be.Linear(xt, runtime.Linear{W: wt, Bias: bias})
				require.Less(t, maxDiff(data(got), want), 1e-4*math.Sqrt(float64(sh.in)), "w4 g=%d %+v", g, sh)

				dst := tensorcore.NewHost(append([]float32(nil), want...), sh.rows, sh.out)
				be.LinearAdd(xt, runtime.Linear{W: wt, Bias: bias}, dst)
				for i := range want {
					want[i] *= 2
				}
				require.Less(t, maxDiff(data(dst), want), 2e-4*math.Sqrt(float64(sh.in)), "w4 add g=%d %+v", g, sh)

				row := make([]float32, sh.in)
				wt.RowTo(sh.out-1, row)
				require.Equal(t, deq[(sh.out-1)*sh.in:], row, "RowTo g=%d %+v", g, sh)
			}
		}
	}
}

// TestSplitsGiveTheSameBits: a product split by rows (many rows), by output columns
// (fewer) or not at all (one thread) computes every element the same way, in fp32 and
// W8A8, with a bias, GELU and accumulation into the output.
func TestSplitsGiveTheSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, rows := range []int{40, 97, 197} {
		const out, in = 96, 72
		x, w, bias, base := randn(rng, rows*in), randn(rng, out*in), randn(rng, out), randn(rng, rows*out)
		q, s := quant.QuantizeRows(w, out, in)
		for _, i8 := range []bool{false, true} {
			weight := &runtime.Weight{Out: out, In: in, F32: w}
			if i8 {
				weight = &runtime.Weight{Out: out, In: in, I8: q, Scales: s, ActInt8: true}
			}
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				be := New(threads)
				got := append([]float32(nil), base...)
				be.linear(tensorcore.NewHost(x, rows, in), runtime.Linear{W: weight, Bias: bias}, got, true, runtime.ActGELU)
				be.Close()
				if first == nil {
					first = got
					continue
				}
				require.Equal(t, first, got, "rows %d, int8 %v: %d threads differ from one", rows, i8, threads)
			}
		}
	}
}

// An attention call packs K and V into the scratch it takes from the backend: once the
// scratch and the output have been made, it allocates nothing, whatever tk is (197 keys
// pack K into 7 panels of 32 and V into 2, and a buffer sized for one of them for both
// sent every K to the allocator, 1.1 MB per image path of the shapes model).
func TestAttentionAllocatesNothing(t *testing.T) {
	be := New(1)
	defer be.Close()
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct{ tq, tk, heads, d int }{{197, 197, 3, 64}, {16, 197, 3, 64}, {16, 16, 3, 64}, {50, 33, 2, 24}} {
		w := tc.heads * tc.d
		q := tensorcore.NewHost(randn(rng, tc.tq*w), tc.tq, w)
		k := tensorcore.NewHost(randn(rng, tc.tk*w), tc.tk, w)
		v := tensorcore.NewHost(randn(rng, tc.tk*w), tc.tk, w)
		p := runtime.AttentionParams{Heads: tc.heads, HeadDim: tc.d, Scale: 0.125}
		be.Recycle(be.Attention(q, k, v, p))
		allocs := testing.AllocsPerRun(20, func() { be.Recycle(be.Attention(q, k, v, p)) })
		require.Zero(t, allocs, "%+v", tc)
	}
}
