package runtime_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// tableBackend holds the logits tensors of the table models below.
var tableBackend = cpu.New(1)

// tableLM is a tiny language model given as next-token probabilities per context
// (the tokens generated so far, as a string key). It lets the generation algorithms be
// checked on cases worked out by hand.
type tableLM struct {
	vocab int
	next  map[string][]float64 // context → probabilities over the vocabulary
	ctx   []int
}

func key(ids []int) string {
	s := ""
	for _, id := range ids {
		s += string(rune('a' + id))
	}
	return s
}

func (s *tableLM) Backend() Backend { return tableBackend }

func (s *tableLM) Logits() *Tensor {
	p, ok := s.next[key(s.ctx)]
	out := make([]float32, s.vocab)
	for i := range out {
		if ok {
			out[i] = float32(math.Log(p[i]))
		} else if i == 0 { // unknown context: EOS (0) is certain
			out[i] = 0
		} else {
			out[i] = -100
		}
	}
	return tableBackend.FromHost(out, 1, s.vocab)
}
func (s *tableLM) Feed(t int) error { s.ctx = append(s.ctx, t); return nil }
func (s *tableLM) Clone() Sequence {
	return &tableLM{vocab: s.vocab, next: s.next, ctx: append([]int(nil), s.ctx...)}
}
func (s *tableLM) Len() int { return len(s.ctx) }

// Token 0 is EOS. Greedy takes 1 (0.5) then has to pick among flat options; beam search
// finds 2 (0.4) followed by a near-certain 3.
func twoPathLM() *tableLM {
	return &tableLM{vocab: 4, next: map[string][]float64{
		"":   {0.05, 0.5, 0.4, 0.05},
		"b":  {0.1, 0.3, 0.3, 0.3},
		"c":  {0.01, 0.01, 0.01, 0.97},
		"bb": {0.9, 0.05, 0.03, 0.02},
		"bc": {0.9, 0.05, 0.03, 0.02},
		"bd": {0.9, 0.05, 0.03, 0.02},
		"cd": {0.97, 0.01, 0.01, 0.01},
	}}
}

func TestGreedyStopsAtEOSAndMaxTokens(t *testing.T) {
	out, err := Generate(context.Background(), twoPathLM(), nil, GenerateOptions{MaxNewTokens: 10, EOS: []int{0}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1, 0}, out.Tokens) // ties break to the lowest id, as torch.argmax does
	require.True(t, out.Finished)

	out, err = Generate(context.Background(), twoPathLM(), nil, GenerateOptions{MaxNewTokens: 2, EOS: []int{0}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1}, out.Tokens)
	require.False(t, out.Finished)
}

func TestMinNewTokensMasksEOS(t *testing.T) {
	lm := &tableLM{vocab: 3, next: map[string][]float64{"": {0.9, 0.06, 0.04}, "b": {0.9, 0.06, 0.04}}}
	out, err := Generate(context.Background(), lm, nil, GenerateOptions{MaxNewTokens: 5, MinNewTokens: 2, EOS: []int{0}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1, 0}, out.Tokens)
}

func TestRepetitionPenalty(t *testing.T) {
	// Without a penalty token 1 repeats; a strong penalty on seen tokens moves to 2.
	lm := &tableLM{vocab: 3, next: map[string][]float64{"": {0.1, 0.5, 0.4}, "b": {0.1, 0.5, 0.4}}}
	out, err := Generate(context.Background(), lm, nil, GenerateOptions{MaxNewTokens: 2, EOS: []int{0}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1}, out.Tokens)
	lm.ctx = nil
	out, err = Generate(context.Background(), lm, nil, GenerateOptions{MaxNewTokens: 2, EOS: []int{0}, RepetitionPenalty: 2})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, out.Tokens)
}

func TestBeamSearchFindsTheBetterSequence(t *testing.T) {
	out, err := Generate(context.Background(), twoPathLM(), nil, GenerateOptions{MaxNewTokens: 10, EOS: []int{0}, NumBeams: 2})
	require.NoError(t, err)
	require.Equal(t, []int{2, 3, 0}, out.Tokens)
	// Score: summed log-probs over the generated length (3 tokens, EOS included).
	want := (math.Log(0.4) + math.Log(0.97) + math.Log(0.97)) / 3
	require.InDelta(t, want, out.Score, 1e-5)
	require.True(t, out.Finished)
}

func TestBeamSearchLengthPenalty(t *testing.T) {
	// Path "b" then EOS is short (0.55·0.6); "c d d EOS" is long and confident. A large
	// length penalty favours the long one, a negative one the short one.
	lm := &tableLM{vocab: 4, next: map[string][]float64{
		"":    {0.02, 0.55, 0.43, 0.0},
		"b":   {0.6, 0.2, 0.1, 0.1},
		"c":   {0.01, 0.01, 0.01, 0.97},
		"cd":  {0.01, 0.01, 0.01, 0.97},
		"cdd": {0.97, 0.01, 0.01, 0.01},
	}}
	for _, tc := range []struct {
		lp   float64
		want []int
	}{{2, []int{2, 3, 3, 0}}, {-1, []int{1, 0}}} {
		lm.ctx = nil
		out, err := Generate(context.Background(), lm.Clone(), nil, GenerateOptions{MaxNewTokens: 6, EOS: []int{0}, NumBeams: 2, LengthPenalty: tc.lp, EarlyStopping: "never"})
		require.NoError(t, err)
		require.Equal(t, tc.want, out.Tokens, "length penalty %v", tc.lp)
	}
}

func TestBeamSearchOutOfTokensReturnsBestRunning(t *testing.T) {
	out, err := Generate(context.Background(), twoPathLM(), nil, GenerateOptions{MaxNewTokens: 2, EOS: []int{0}, NumBeams: 2})
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, out.Tokens)
	require.False(t, out.Finished)
}

func TestSamplingIsSeededAndFiltered(t *testing.T) {
	lm := func() *tableLM {
		return &tableLM{vocab: 4, next: map[string][]float64{"": {0.05, 0.5, 0.3, 0.15}}}
	}
	draw := func(o GenerateOptions) []int {
		counts := make([]int, 4)
		for i := 0; i < 400; i++ {
			o.Seed = uint64(i)
			out, err := Generate(context.Background(), lm(), nil, o)
			require.NoError(t, err)
			counts[out.Tokens[0]]++
		}
		return counts
	}
	base := GenerateOptions{MaxNewTokens: 1, EOS: []int{0}, DoSample: true}
	a, err := Generate(context.Background(), lm(), nil, GenerateOptions{MaxNewTokens: 1, DoSample: true, Seed: 7})
	require.NoError(t, err)
	b, err := Generate(context.Background(), lm(), nil, GenerateOptions{MaxNewTokens: 1, DoSample: true, Seed: 7})
	require.NoError(t, err)
	require.Equal(t, a.Tokens, b.Tokens, "same seed, same draw")

	all := draw(base)
	for i, c := range all {
		require.Greater(t, c, 0, "token %d never drawn without filters: %v", i, all)
	}
	k := base
	k.TopK = 2
	require.Equal(t, 0, draw(k)[0]+draw(k)[3], "top-k 2 keeps only tokens 1 and 2")
	p := base
	p.TopP = 0.6 // 0.5 alone < 0.6, 0.5+0.3 ≥ 0.6: tokens 1 and 2
	c := draw(p)
	require.Equal(t, 0, c[0]+c[3], "top-p keeps the smallest set reaching 0.6: %v", c)
	cold := base
	cold.Temperature = 0.05
	require.Equal(t, 400, draw(cold)[1], "a low temperature is nearly greedy")
}

func TestSessionDropsOldestTurnsToFit(t *testing.T) {
	s := &Session{}
	s.Add("what shape is on the left?", "square", 0)
	s.Add("what color is it?", "green.", 0)
	p, dropped, err := s.Prompt("is there a circle?", func(string) (bool, error) { return true, nil })
	require.NoError(t, err)
	require.Equal(t, 0, dropped)
	require.Equal(t, "Question: what shape is on the left? Answer: square. Question: what color is it? Answer: green. Question: is there a circle? Answer:", p)

	p, dropped, err = s.Prompt("is there a circle?", func(p string) (bool, error) { return len(p) < 90, nil })
	require.NoError(t, err)
	require.Equal(t, 1, dropped)
	require.Equal(t, "Question: what color is it? Answer: green. Question: is there a circle? Answer:", p)
	s.Add("is there a circle?", "no", dropped)
	require.Len(t, s.Turns, 2)

	_, _, err = s.Prompt("x", func(string) (bool, error) { return false, nil })
	require.ErrorIs(t, err, ErrContext)
}
