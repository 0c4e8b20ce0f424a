package cpu

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
)

func actRef(v float64, act runtime.Activation) float64 {
	switch act {
	case runtime.ActReLU:
		return math.Max(v, 0)
	case runtime.ActGELU:
		return 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
	case runtime.ActGELUTanh:
		return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	}
	return v
}

// TestFusedLinear checks LinearAct and LinearAdd on every weight kind and on the
// shapes that take each path (few rows; many rows with a weight packed once; a weight
// too large to keep packed; weight-only int8 by dequantized blocks; W8A8 with the
// activations quantized once for all chunks).
func TestFusedLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []struct{ rows, out, in int }{{1, 37, 65}, {3, 64, 48}, {17, 96, 40}, {40, 33, 129}, {70, 50, 1000}, {17, 1100, 1000}}
	for _, threads := range []int{1, 2, 3} {
		be := New(threads)
		for _, sh := range shapes {
			x := randn(rng, sh.rows*sh.in)
			wf := randn(rng, sh.out*sh.in)
			bias := randn(rng, sh.out)
			q, s := quant.QuantizeRows(wf, sh.out, sh.in)
			deq := quant.Dequantize(q, s, sh.in)
			xt := tensorcore.NewHost(x, sh.rows, sh.in)
			for _, kind := range []string{"f32", "w8", "w8a8"} {
				w := &runtime.Weight{Out: sh.out, In: sh.in, F32: wf}
				ref := wf
				switch kind {
				case "w8":
					w = &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s}
					ref = deq
				case "w8a8":
					w = &runtime.Weight{Out: sh.out, In: sh.in, I8: q, Scales: s, ActInt8: true}
					ref = deq
				}
				xr := x
				if kind == "w8" {
					xr = w8Activations(x, sh.rows, sh.in)
				}
				want := make([]float32, sh.rows*sh.out)
				gemmNTRef(sh.rows, sh.out, sh.in, xr, ref, want)
				tol := 1e-4 * math.Sqrt(float64(sh.in))
				if kind == "w8a8" {
					var amax float64
					for _, v := range x {
						amax = math.Max(amax, math.Abs(float64(v)))
					}
					tol = amax / 127 * 3 * math.Sqrt(float64(sh.in))
				}
				l := runtime.Linear{W: w, Bias: bias}
				for _, act := range []runtime.Activation{runtime.ActIdentity, runtime.ActReLU, runtime.ActGELU, runtime.ActGELUTanh} {
					got := be.LinearAct(xt, l, act)
					require.Len(t, data(got), sh.rows*sh.out, "%s act %d %+v", kind, act, sh)
					for i, v := range data(got) {
						require.InDelta(t, actRef(float64(want[i]+bias[i%sh.out]), act), float64(v), tol*1.2, "%s act %d %+v threads %d [%d]", kind, act, sh, threads, i)
					}
				}
				base := randn(rng, sh.rows*sh.out)
				dst := tensorcore.NewHost(append([]float32(nil), base...), sh.rows, sh.out)
				be.LinearAdd(xt, l, dst)
				for i, v := range data(dst) {
					require.InDelta(t, float64(base[i]+want[i]+bias[i%sh.out]), float64(v), tol, "%s add %+v threads %d [%d]", kind, sh, threads, i)
				}
			}
		}
		be.Close()
	}
}

func TestAttentionQKVMatchesSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	be := New(2)
	defer be.Close()
	for _, tc := range []struct{ rows, heads, d int }{{1, 2, 8}, {2, 3, 16}, {5, 1, 32}, {60, 3, 64}, {197, 3, 64}} {
		w := tc.heads * tc.d
		qkv := tensorcore.NewHost(randn(rng, tc.rows*3*w), tc.rows, 3*w)
		parts := make([]*runtime.Tensor, 3)
		for p := range parts {
			parts[p] = tensorcore.NewHost(make([]float32, tc.rows*w), tc.rows, w)
			for r := 0; r < tc.rows; r++ {
				copy(data(parts[p])[r*w:(r+1)*w], data(qkv)[r*3*w+p*w:r*3*w+(p+1)*w])
			}
		}
		for _, causal := range []bool{false, true} {
			p := runtime.AttentionParams{Heads: tc.heads, HeadDim: tc.d, Scale: 0.2, Causal: causal}
			want := be.Attention(parts[0], parts[1], parts[2], p)
			got := be.AttentionQKV(qkv, p)
			require.Less(t, maxDiff(data(got), data(want)), 1e-6, "%+v causal=%v", tc, causal)
		}
	}
}

func TestNormsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	be := New(2)
	defer be.Close()
	for _, sh := range []struct{ rows, cols int }{{1, 5}, {3, 16}, {40, 192}, {7, 200}} {
		x := randn(rng, sh.rows*sh.cols)
		w, bias := randn(rng, sh.cols), randn(rng, sh.cols)
		xt := tensorcore.NewHost(x, sh.rows, sh.cols)
		ln := be.LayerNorm(xt, w, bias, 1e-5)
		rms := be.RMSNorm(xt, w, 1e-6)
		for r := 0; r < sh.rows; r++ {
			row := x[r*sh.cols : (r+1)*sh.cols]
			var mean, vr, ms float64
			for _, v := range row {
				mean += float64(v)
				ms += float64(v) * float64(v)
			}
			mean /= float64(sh.cols)
			for _, v := range row {
				vr += (float64(v) - mean) * (float64(v) - mean)
			}
			inv := 1 / math.Sqrt(vr/float64(sh.cols)+1e-5)
			invRMS := 1 / math.Sqrt(ms/float64(sh.cols)+1e-6)
			for i, v := range row {
				require.InDelta(t, (float64(v)-mean)*inv*float64(w[i])+float64(bias[i]), float64(data(ln)[r*sh.cols+i]), 1e-4)
				require.InDelta(t, float64(v)*invRMS*float64(w[i]), float64(data(rms)[r*sh.cols+i]), 1e-4)
			}
		}
	}
}

// TestRecycle checks that given-back storage serves the next result of its size, and
// that a recycled tensor cannot be read by mistake.
func TestRecycle(t *testing.T) {
	be := New(1)
	defer be.Close()
	x := tensorcore.NewHost(make([]float32, 6*4), 6, 4)
	w := &runtime.Weight{Out: 3, In: 4, F32: make([]float32, 12)}
	y := be.Linear(x, runtime.Linear{W: w})
	first := &data(y)[0]
	be.Recycle(y)
	require.Nil(t, tensorcore.Host(y))
	require.Panics(t, func() { be.Host(y, nil) }, "a given-back tensor cannot be read")
	z := be.Linear(x, runtime.Linear{W: w})
	require.Same(t, first, &data(z)[0], "the recycled storage is reused")
	for _, v := range data(z) {
		require.Zero(t, v)
	}
	be.Recycle(nil, tensorcore.NewHost(nil, 0))
	runtime.Recycle(struct{ runtime.Backend }{be}, z) // a backend without it: no effect
	require.NotNil(t, data(z))
}

// TestConcurrentOperations runs operations from several goroutines on one backend:
// while one holds the workers, the others run inline, and all results are right.
func TestConcurrentOperations(t *testing.T) {
	be := New(2)
	defer be.Close()
	rng := rand.New(rand.NewPCG(13, 14))
	x := tensorcore.NewHost(randn(rng, 40*64), 40, 64)
	w := &runtime.Weight{Out: 96, In: 64, F32: randn(rng, 96*64)}
	want := data(be.Linear(x, runtime.Linear{W: w}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got := be.Linear(x, runtime.Linear{W: w})
				if maxDiff(data(got), want) != 0 {
					t.Error("concurrent result differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}
