package runtime

import (
	"context"
	"math"
	"sort"
)

// negInf is transformers' "very large negative" score used to rule candidates out.
const negInf = -1.0e9

type hypothesis struct {
	seq    Sequence
	tokens []int
	score  float64 // summed log-probabilities
}

type finished struct {
	tokens []int
	score  float64 // length-penalised
	done   bool    // a real finished hypothesis (not an empty slot)
}

type candidate struct {
	parent int
	token  int
	score  float64
	stops  bool
}

// beamSearch follows transformers 5's vectorised GenerationMixin._beam_search for one
// input: keep the best (1+len(EOS))·beams continuations (at least 2·beams), only those
// among the first beams may finish, finished scores are divided by the generated
// length (the final token included) to the power of the length penalty, and the search
// stops per early_stopping.
func beamSearch(ctx context.Context, start Sequence, promptIDs []int, o GenerateOptions) (Generated, error) {
	beams := o.NumBeams
	keep := max(2, 1+len(o.EOS)) * beams
	running := []hypothesis{{seq: start, score: 0}}
	done := make([]finished, beams)
	for i := range done {
		done[i].score = negInf
	}
	unsatisfied := true // transformers' is_early_stop_heuristic_unsatisfied
	var host []float32
	var mark []bool
	for step := 0; step < o.MaxNewTokens; step++ {
		if err := ctx.Err(); err != nil {
			return Generated{}, err
		}
		var cands []candidate
		for bi, h := range running {
			seen := append(append([]int(nil), promptIDs...), h.tokens...)
			// Beam search needs every score: each hypothesis brings back its logits row.
			host = h.seq.Backend().Host(h.seq.Logits(), host)
			lp := logSoftmax(host)
			if mark == nil {
				mark = make([]bool, len(lp))
			}
			o.process(lp, seen, step, mark)
			for tok, v := range lp {
				if math.IsInf(float64(v), -1) {
					continue
				}
				cands = append(cands, candidate{parent: bi, token: tok, score: h.score + float64(v)})
			}
		}
		// transformers starts with one live beam and the others at -1e9; with a single
		// running hypothesis the same candidates come first.
		sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
		if len(cands) > keep {
			cands = cands[:keep]
		}
		last := step+1 == o.MaxNewTokens
		for i := range cands {
			cands[i].stops = last || o.isEOS(cands[i].token)
		}
		generated := float64(step + 1)
		// Update the finished set from the first `beams` candidates that stop.
		full := true
		for _, f := range done {
			full = full && f.done
		}
		for i, c := range cands {
			if i >= beams || !c.stops || !unsatisfied || (full && o.EarlyStopping == "true") {
				continue
			}
			score := c.score / math.Pow(generated, o.LengthPenalty)
			toks := append(append([]int(nil), running[c.parent].tokens...), c.token)
			done = append(done, finished{tokens: toks, score: score, done: true})
		}
		sort.SliceStable(done, func(a, b int) bool { return done[a].score > done[b].score })
		done = done[:beams]
		// The best continuations that did not stop carry on.
		var next []candidate
		for _, c := range cands {
			if !c.stops {
				next = append(next, c)
			}
			if len(next) == beams {
				break
			}
		}
		if last || len(next) == 0 {
			break
		}
		nextRunning := make([]hypothesis, len(next))
		used := make([]bool, len(running))
		for i, c := range next {
			seq := running[c.parent].seq
			if used[c.parent] {
				seq = seq.Clone()
			}
			used[c.parent] = true
			nextRunning[i] = hypothesis{seq: seq, tokens: append(append([]int(nil), running[c.parent].tokens...), c.token), score: c.score}
		}
		// A parent's state is shared by its first child: fork the others before feeding.
		for i := range nextRunning {
			if err := nextRunning[i].seq.Feed(nextRunning[i].tokens[len(nextRunning[i].tokens)-1]); err != nil {
				return Generated{}, err
			}
		}
		running = nextRunning
		// Early stopping, as _check_early_stop_heuristic and
		// _beam_search_has_unfinished_sequences decide it.
		full = true
		worst := math.Inf(1)
		for _, f := range done {
			full = full && f.done
			worst = math.Min(worst, f.score)
		}
		if !full {
			worst = negInf
		}
		length := generated
		if o.EarlyStopping == "never" && o.LengthPenalty > 0 {
			length = float64(o.MaxNewTokens)
		}
		bestPossible := running[0].score / math.Pow(length, o.LengthPenalty)
		unsatisfied = unsatisfied && bestPossible > worst
		if !unsatisfied || (full && o.EarlyStopping == "true") {
			break
		}
	}
	best := done[0]
	out := Generated{Tokens: best.tokens, Score: best.score}
	if n := len(best.tokens); n > 0 && o.isEOS(best.tokens[n-1]) {
		out.Finished = true
	}
	return out, nil
}

// logSoftmax returns log(softmax(x)) in float32 computed through float64.
func logSoftmax(x []float32) []float32 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(sum)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(float64(v) - lse)
	}
	return out
}
