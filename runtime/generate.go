package runtime

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
)

// GenerateOptions follow transformers' generation arguments of the same names.
type GenerateOptions struct {
	MaxNewTokens int   // default 20
	MinNewTokens int   // EOS is masked until this many tokens were generated
	EOS          []int // generation stops at any of these
	NumBeams     int   // >1: beam search
	// LengthPenalty divides a finished beam's summed log-probability by
	// (prompt length + generated length)^LengthPenalty, as transformers does. Default 1.
	LengthPenalty float64
	// EarlyStopping: "true" stops when NumBeams hypotheses are finished, "false" (the
	// default) uses transformers' heuristic, "never" searches until no beam can improve.
	EarlyStopping     string
	DoSample          bool
	Temperature       float64 // default 1
	TopK              int     // 0: off
	TopP              float64 // 1: off
	Seed              uint64
	RepetitionPenalty float64 // 1: off
	// OnToken, when set, sees each token of the greedy or sampled sequence as it is chosen.
	OnToken func(id int)
}

func (o *GenerateOptions) defaults() {
	if o.MaxNewTokens <= 0 {
		o.MaxNewTokens = 20
	}
	if o.NumBeams < 1 {
		o.NumBeams = 1
	}
	if o.LengthPenalty == 0 {
		o.LengthPenalty = 1
	}
	if o.Temperature == 0 {
		o.Temperature = 1
	}
	if o.TopP == 0 {
		o.TopP = 1
	}
	if o.RepetitionPenalty == 0 {
		o.RepetitionPenalty = 1
	}
	if o.EarlyStopping == "" {
		o.EarlyStopping = "false"
	}
}

// Generated is what a generation produced.
type Generated struct {
	Tokens []int // new tokens, including a final EOS when it stopped there
	Score  float64
	// Finished says the sequence ended on EOS rather than by running out of tokens.
	Finished bool
}

// ErrContext says the prompt does not fit the model's context.
var ErrContext = errors.New("prompt does not fit the context")

func (o *GenerateOptions) isEOS(id int) bool {
	for _, e := range o.EOS {
		if e == id {
			return true
		}
	}
	return false
}

// needsProcessing says whether process would change the logits at this step; when
// not, greedy decoding takes the argmax on the backend and brings back one id.
func (o *GenerateOptions) needsProcessing(generated int) bool {
	return o.RepetitionPenalty != 1 || generated < o.MinNewTokens
}

// process applies the logits processors transformers would (repetition penalty,
// min_new_tokens) to logits in place, given the tokens seen so far. mark is scratch
// of at least len(logits) entries, all false, and is left so.
func (o *GenerateOptions) process(logits []float32, seen []int, generated int, mark []bool) {
	if o.RepetitionPenalty != 1 {
		p := float32(o.RepetitionPenalty)
		for _, id := range seen {
			if id < 0 || id >= len(logits) || mark[id] {
				continue
			}
			mark[id] = true
			if logits[id] < 0 {
				logits[id] *= p
			} else {
				logits[id] /= p
			}
		}
		for _, id := range seen {
			if id >= 0 && id < len(logits) {
				mark[id] = false
			}
		}
	}
	if generated < o.MinNewTokens {
		for _, e := range o.EOS {
			if e >= 0 && e < len(logits) {
				logits[e] = float32(math.Inf(-1))
			}
		}
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// Generate decodes from seq. promptIDs are the tokens already in the context (for the
// repetition penalty and the length penalty's prompt length). Room for MaxNewTokens
// must fit the context: callers check first (blip2.Model.Fits).
func Generate(ctx context.Context, seq Sequence, promptIDs []int, opts GenerateOptions) (Generated, error) {
	opts.defaults()
	if opts.NumBeams > 1 {
		return beamSearch(ctx, seq, promptIDs, opts)
	}
	var rng *rand.Rand
	if opts.DoSample {
		rng = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	}
	be := seq.Backend()
	// Everything a step needs is made here, so the loop itself does not allocate.
	seen := make([]int, len(promptIDs), len(promptIDs)+opts.MaxNewTokens)
	copy(seen, promptIDs)
	out := Generated{Tokens: make([]int, 0, opts.MaxNewTokens)}
	var host []float32
	var mark []bool
	for step := 0; step < opts.MaxNewTokens; step++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var id int
		if !opts.DoSample && !opts.needsProcessing(step) {
			id = be.Argmax(seq.Logits())
		} else {
			host = be.Host(seq.Logits(), host)
			if mark == nil {
				mark = make([]bool, len(host))
			}
			opts.process(host, seen, step, mark)
			if opts.DoSample {
				id = sample(host, opts, rng)
			} else {
				id = argmax(host)
			}
		}
		out.Tokens = append(out.Tokens, id)
		seen = append(seen, id)
		if opts.OnToken != nil {
			opts.OnToken(id)
		}
		if opts.isEOS(id) {
			out.Finished = true
			break
		}
		if step+1 < opts.MaxNewTokens {
			if err := seq.Feed(id); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// sample draws from softmax(logits/T) after top-k and top-p filtering, as transformers'
// TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper do in that order.
func sample(logits []float32, o GenerateOptions, rng *rand.Rand) int {
	type cand struct {
		id int
		l  float64
	}
	cs := make([]cand, 0, len(logits))
	for i, l := range logits {
		if !math.IsInf(float64(l), -1) {
			cs = append(cs, cand{i, float64(l) / o.Temperature})
		}
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].l > cs[b].l || (cs[a].l == cs[b].l && cs[a].id < cs[b].id) })
	if o.TopK > 0 && o.TopK < len(cs) {
		cs = cs[:o.TopK]
	}
	maxl := cs[0].l
	probs := make([]float64, len(cs))
	var sum float64
	for i, c := range cs {
		probs[i] = math.Exp(c.l - maxl)
		sum += probs[i]
	}
	for i := range probs {
		probs[i] /= sum
	}
	if o.TopP < 1 {
		// Keep the smallest prefix whose mass reaches TopP (at least one token).
		var cum float64
		keep := len(cs)
		for i, p := range probs {
			cum += p
			if cum >= o.TopP {
				keep = i + 1
				break
			}
		}
		cs, probs = cs[:keep], probs[:keep]
		sum = 0
		for _, p := range probs {
			sum += p
		}
		for i := range probs {
			probs[i] /= sum
		}
	}
	r := rng.Float64()
	for i, p := range probs {
		r -= p
		if r < 0 {
			return cs[i].id
		}
	}
	return cs[len(cs)-1].id
}
