package opt_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/opt"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime/cpu"
)

// mapStore is an in-memory weights.Store of float tensors.
type mapStore map[string]struct {
	shape []int
	v     []float32
}

func (s mapStore) Lookup(name string) ([]int, string, bool) {
	t, ok := s[name]
	return t.shape, "F32", ok
}
func (s mapStore) Float32(name string) ([]float32, error) { return s[name].v, nil }
func (s mapStore) Int8(name string) ([]int8, error)       { return nil, fmt.Errorf("%s is not int8", name) }

func (s mapStore) put(rng *rand.Rand, name string, shape ...int) []float32 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * 0.5)
	}
	s[name] = struct {
		shape []int
		v     []float32
	}{shape, v}
	return v
}

// TestPostLNMatchesTheReferenceEquations checks OPT with do_layer_norm_before false (as in
// OPT-350m) against transformers' OPTDecoderLayer written out in float64 here:
//
//	h = embed(ids) + positions[pos+2]
//	per layer: h = LN_attn(h + out_proj(attn(q,k,v of h)))
//	           h = LN_final(h + fc2(relu(fc1(h))))
//	no final decoder norm (only pre-LN models have one); logits = h · embed_tokensᵀ
func TestPostLNMatchesTheReferenceEquations(t *testing.T) {
	const vocab, d, heads, ffn, layers, maxPos = 11, 8, 2, 12, 2, 16
	cfg := hfconfig.TextConfig{ModelType: "opt", VocabSize: vocab, HiddenSize: d, NumHiddenLayers: layers,
		NumAttentionHeads: heads, FFNDim: ffn, WordEmbedProjDim: d, MaxPositionEmbeddings: maxPos,
		DoLayerNormBefore: false, EnableBias: true, LayerNormElementwiseAffine: true, ActivationFunction: "relu"}
	rng := rand.New(rand.NewPCG(21, 22))
	st := mapStore{}
	p := "model.decoder."
	emb := st.put(rng, p+"embed_tokens.weight", vocab, d)
	pos := st.put(rng, p+"embed_positions.weight", maxPos+2, d)
	type lin struct{ w, b []float32 }
	type ref struct {
		q, k, v, o, fc1, fc2   lin
		ln1w, ln1b, ln2w, ln2b []float32
	}
	put := func(name string, out, in int) lin {
		return lin{st.put(rng, name+".weight", out, in), st.put(rng, name+".bias", out)}
	}
	var ls []ref
	for i := range layers {
		lp := fmt.Sprintf("%slayers.%d.", p, i)
		r := ref{q: put(lp+"self_attn.q_proj", d, d), k: put(lp+"self_attn.k_proj", d, d), v: put(lp+"self_attn.v_proj", d, d),
			o: put(lp+"self_attn.out_proj", d, d), fc1: put(lp+"fc1", ffn, d), fc2: put(lp+"fc2", d, ffn)}
		r.ln1w, r.ln1b = st.put(rng, lp+"self_attn_layer_norm.weight", d), st.put(rng, lp+"self_attn_layer_norm.bias", d)
		r.ln2w, r.ln2b = st.put(rng, lp+"final_layer_norm.weight", d), st.put(rng, lp+"final_layer_norm.bias", d)
		ls = append(ls, r)
	}
	be := cpu.New(1)
	defer be.Close()
	b := weights.NewBinder(st)
	m := opt.Bind(b, "", cfg, be, opt.Options{})
	require.NoError(t, b.Err())

	ids := []int{2, 5, 3, 9, 7}
	x, err := m.Embed(ids)
	require.NoError(t, err)
	_, all, err := m.Start(x, 1, true)
	require.NoError(t, err)
	got := be.Host(all, nil)

	// The reference, in float64.
	T := len(ids)
	h := make([][]float64, T)
	for i, id := range ids {
		h[i] = make([]float64, d)
		for j := range d {
			h[i][j] = float64(emb[id*d+j]) + float64(pos[(i+2)*d+j])
		}
	}
	linear := func(x []float64, l lin, out int) []float64 {
		in := len(x)
		y := make([]float64, out)
		for o := range out {
			s := float64(l.b[o])
			for i := range in {
				s += float64(l.w[o*in+i]) * x[i]
			}
			y[o] = s
		}
		return y
	}
	layerNorm := func(x []float64, w, bb []float32) []float64 {
		var mean, vr float64
		for _, v := range x {
			mean += v
		}
		mean /= float64(len(x))
		for _, v := range x {
			vr += (v - mean) * (v - mean)
		}
		vr /= float64(len(x))
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = (v-mean)/math.Sqrt(vr+1e-5)*float64(w[i]) + float64(bb[i])
		}
		return y
	}
	hd := d / heads
	for _, l := range ls {
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for i := range T {
			q[i], k[i], v[i] = linear(h[i], l.q, d), linear(h[i], l.k, d), linear(h[i], l.v, d)
		}
		next := make([][]float64, T)
		for i := range T {
			ctx := make([]float64, d)
			for hh := range heads {
				scores := make([]float64, i+1) // causal: keys 0..i
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					var s float64
					for c := range hd {
						s += q[i][hh*hd+c] * k[j][hh*hd+c]
					}
					scores[j] = s / math.Sqrt(float64(hd))
					mx = math.Max(mx, scores[j])
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				for j := range scores {
					for c := range hd {
						ctx[hh*hd+c] += scores[j] / sum * v[j][hh*hd+c]
					}
				}
			}
			a := linear(ctx, l.o, d)
			for j := range d {
				a[j] += h[i][j]
			}
			a = layerNorm(a, l.ln1w, l.ln1b)
			f := linear(a, l.fc1, ffn)
			for j := range f {
				f[j] = math.Max(f[j], 0)
			}
			g := linear(f, l.fc2, d)
			for j := range d {
				g[j] += a[j]
			}
			next[i] = layerNorm(g, l.ln2w, l.ln2b)
		}
		h = next
	}
	var worst float64
	for i := range T {
		for tok := range vocab {
			var s float64
			for j := range d {
				s += h[i][j] * float64(emb[tok*d+j])
			}
			worst = math.Max(worst, math.Abs(s-float64(got[i*vocab+tok])))
		}
	}
	t.Logf("post-LN OPT logits vs the float64 reference: max abs difference %.2g", worst)
	require.Less(t, worst, 1e-4)
}
