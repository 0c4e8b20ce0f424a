package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/runtime"
)

// Attention over a stack of sequences (Seqs) equals attention on each sequence alone,
// value for value: cross-attention (few queries, many keys) and fused self-attention,
// with query counts below and above the work-item block.
func TestAttentionOverSequencesEqualsEachAlone(t *testing.T) {
	be := New(2)
	defer be.Close()
	rng := rand.New(rand.NewPCG(21, 22))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	const heads, hd, seqs = 3, 8, 4
	w := heads * hd
	p := runtime.AttentionParams{Heads: heads, HeadDim: hd, Scale: 0.35}
	for _, tc := range []struct{ tq, tk int }{{1, 5}, {2, 7}, {32, 257}, {50, 50}, {97, 13}} {
		q, k, v := fill(seqs*tc.tq*w), fill(seqs*tc.tk*w), fill(seqs*tc.tk*w)
		ps := p
		ps.Seqs = seqs
		all := be.Host(be.Attention(be.FromHost(q, seqs*tc.tq, w), be.FromHost(k, seqs*tc.tk, w), be.FromHost(v, seqs*tc.tk, w), ps), nil)
		require.Len(t, all, seqs*tc.tq*w)
		for s := range seqs {
			qs := be.FromHost(q[s*tc.tq*w:(s+1)*tc.tq*w], tc.tq, w)
			ks := be.FromHost(k[s*tc.tk*w:(s+1)*tc.tk*w], tc.tk, w)
			vs := be.FromHost(v[s*tc.tk*w:(s+1)*tc.tk*w], tc.tk, w)
			one := be.Host(be.Attention(qs, ks, vs, p), nil)
			require.Equal(t, one, all[s*tc.tq*w:(s+1)*tc.tq*w], "cross: %d queries, %d keys, sequence %d", tc.tq, tc.tk, s)
		}
		if tc.tq != tc.tk {
			continue
		}
		// Self-attention on a fused [T, 3·w] projection.
		qkv := fill(seqs * tc.tq * 3 * w)
		all = be.Host(be.AttentionQKV(be.FromHost(qkv, seqs*tc.tq, 3*w), ps), nil)
		for s := range seqs {
			one := be.Host(be.AttentionQKV(be.FromHost(qkv[s*tc.tq*3*w:(s+1)*tc.tq*3*w], tc.tq, 3*w), p), nil)
			require.Equal(t, one, all[s*tc.tq*w:(s+1)*tc.tq*w], "self: %d tokens, sequence %d", tc.tq, s)
		}
	}
	require.Panics(t, func() {
		ps := p
		ps.Seqs, ps.Causal = 2, true
		be.Attention(be.FromHost(fill(2*w), 2, w), be.FromHost(fill(2*w), 2, w), be.FromHost(fill(2*w), 2, w), ps)
	}, "a causal mask over a batch is refused")
}
