// Package httpapi serves the model over HTTP in the OpenAI (/v1/chat/completions) and
// Ollama (/api/generate, /api/chat) dialects. It knows nothing of cameras or MQTT: the
// caller hands it a Model and, for `edge run`, a Camera with the latest frame.
//
// Its room in docs/architecture.md: outputs: imports runtime, models/preprocess and models/blip2; never the loop.
package httpapi

import (
	"context"
	"errors"
	"image"
	"strings"
	"sync"
	"time"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/runtime"
)

// Request is one generation: a caption (no question, no turns) or an answer.
type Request struct {
	Image       image.Image
	Frame       blip2.FrameKey // the camera frame Image is, if it is one (its prefix is shared)
	Turns       []runtime.Turn // earlier questions and answers, oldest first
	Question    string
	Raw         string // when set, the prompt as is (Ollama's raw mode)
	MaxTokens   int
	Temperature float64 // 0: greedy, as `edge ask`
	TopP        float64 // 0 or 1: off
	Seed        uint64
	Stop        []string
	// OnText sees the answer's text as it grows, one piece per token.
	OnText func(delta string)
}

// Reply is what a generation produced.
type Reply struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	Dropped          int    // oldest turns left out to fit the context
	FinishReason     string // "stop" or "length"
	Decode           time.Duration
}

// Model generates answers; implementations serialise their own use of the hardware.
type Model interface {
	Name() string
	Answer(ctx context.Context, r Request) (Reply, error)
}

// Frame is a camera frame: the picture, its sequence number and time.
type Frame struct {
	Image image.Image
	// Camera is the camera's id where a run has several ("" for one): with Seq and
	// Time it keys the frame's prefix, which the camera loop shares.
	Camera string
	Seq    uint64
	Time   time.Time
}

// Camera is the latest frame and caption of a running camera loop.
type Camera interface {
	LatestFrame() (Frame, bool)
	LatestCaption() (text string, at time.Time, ok bool)
}

// BLIP2 answers with a loaded BLIP-2 model, as `edge caption`, `edge ask` and `edge chat`
// do. Lock, when set, is held for each generation (shared with the camera loop).
type BLIP2 struct {
	M    *blip2.Model
	Lock sync.Locker
	name string
}

// NewBLIP2 wraps m; name is what clients ask for (the checkpoint folder's name).
func NewBLIP2(m *blip2.Model, name string, lock sync.Locker) *BLIP2 {
	if lock == nil {
		lock = &sync.Mutex{}
	}
	return &BLIP2{M: m, Lock: lock, name: name}
}

func (b *BLIP2) Name() string { return b.name }

// errStop ends a generation that reached a stop sequence.
var errStop = errors.New("stop sequence")

func (b *BLIP2) Answer(ctx context.Context, r Request) (Reply, error) {
	m := b.M
	o := m.DefaultGenerateOptions()
	// The same settings as the CLI's defaults, so answers equal `edge ask`'s.
	o.MaxNewTokens, o.MinNewTokens, o.NumBeams, o.RepetitionPenalty = 30, 0, 1, 1
	o.DoSample, o.Temperature, o.TopP, o.TopK = false, 1, 1, 0
	if r.MaxTokens > 0 {
		o.MaxNewTokens = r.MaxTokens
	}
	if r.Temperature > 0 {
		o.DoSample, o.Temperature = true, r.Temperature
	}
	if r.TopP > 0 && r.TopP < 1 {
		o.DoSample, o.TopP = true, r.TopP
	}
	o.Seed = r.Seed
	var prompt string
	var dropped int
	switch {
	case r.Raw != "":
		prompt = r.Raw
		fallthrough
	case r.Question == "" && len(r.Turns) == 0:
		ok, err := m.Fits(prompt, o.MaxNewTokens)
		if err != nil {
			return Reply{}, err
		}
		if !ok {
			return Reply{}, errContext(m.LM.ContextLength())
		}
	default:
		s := runtime.Session{Turns: r.Turns}
		var err error
		prompt, dropped, err = s.Prompt(r.Question, func(p string) (bool, error) { return m.FitsChat(p, o.MaxNewTokens) })
		if err != nil {
			if errors.Is(err, runtime.ErrContext) {
				return Reply{}, errContext(min(blip2.ChatContext, m.LM.ContextLength()))
			}
			return Reply{}, err
		}
	}
	b.Lock.Lock()
	defer b.Lock.Unlock()
	// A camera frame's prefix is shared with the camera loop (kept for recent frames).
	prefix, _, err := m.FramePrefix(r.Frame, r.Image)
	if err != nil {
		return Reply{}, err
	}
	if r.Frame == (blip2.FrameKey{}) {
		defer runtime.Recycle(m.Backend, prefix)
	}
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var ids []int
	sent := ""
	text := ""
	o.OnToken = func(id int) {
		ids = append(ids, id)
		t := strings.TrimLeft(m.Tokenizer.Decode(ids, true), " ")
		for _, s := range r.Stop {
			if i := strings.Index(t, s); s != "" && i >= 0 {
				t = t[:i]
				cancel(errStop)
			}
		}
		text = t
		if strings.HasPrefix(t, sent) && len(t) > len(sent) && r.OnText != nil {
			r.OnText(t[len(sent):])
			sent = t
		}
		// A client gone while its token was sent stops the generation before the next
		// step: the parent's cancellation reaches gctx only a moment later.
		if ctx.Err() != nil {
			cancel(context.Cause(ctx))
		}
	}
	t0 := time.Now()
	res, err := m.GenerateWithPrefix(gctx, prefix, prompt, o)
	rep := Reply{Dropped: dropped, Decode: time.Since(t0), FinishReason: "length"}
	if errors.Is(context.Cause(gctx), errStop) {
		rep.Text, rep.CompletionTokens, rep.FinishReason = strings.TrimSpace(text), len(ids), "stop"
		return rep, nil
	}
	if err != nil {
		return Reply{}, err
	}
	rep.Text, rep.PromptTokens, rep.CompletionTokens = res.Text, len(res.PromptIDs), len(res.Tokens)
	if res.Finished {
		rep.FinishReason = "stop"
	}
	return rep, nil
}

// ContextError says the prompt does not fit the model's context.
type ContextError struct{ Limit int }

func (e ContextError) Error() string {
	return "the prompt does not fit the model's context of " + itoa(e.Limit) + " positions (with max_tokens new tokens)"
}

func errContext(limit int) error { return ContextError{limit} }
