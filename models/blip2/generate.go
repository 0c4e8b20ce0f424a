package blip2

import (
	"context"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/edgevlm/edge/runtime"
)

// Timings are what each stage of one answer took.
type Timings struct {
	Preprocess, Image, Prefill, Decode, Total time.Duration
}

// MS returns the stages in milliseconds, keyed as the MQTT payloads and --json name them.
func (t Timings) MS() map[string]float64 {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return map[string]float64{"preprocess": ms(t.Preprocess), "image": ms(t.Image), "prefill": ms(t.Prefill), "decode": ms(t.Decode), "total": ms(t.Total)}
}

// Result is one generated caption or answer.
type Result struct {
	Text      string // decoded without special tokens, trimmed
	Tokens    []int  // generated ids (with the final EOS when it stopped there)
	PromptIDs []int
	Finished  bool
	Timings   Timings
}

// DefaultGenerateOptions fills what the checkpoint's generation_config says.
func (m *Model) DefaultGenerateOptions() runtime.GenerateOptions {
	g := m.Config.Generation
	o := runtime.GenerateOptions{MaxNewTokens: g.MaxNewTokens, MinNewTokens: g.MinNewTokens, EOS: g.EosTokenIDs,
		NumBeams: g.NumBeams, LengthPenalty: g.LengthPenalty, EarlyStopping: g.EarlyStopping, DoSample: g.DoSample,
		Temperature: g.Temperature, TopK: g.TopK, TopP: g.TopP, RepetitionPenalty: g.RepetitionPenalty}
	if o.MaxNewTokens == 0 {
		o.MaxNewTokens = 20
	}
	if len(o.EOS) == 0 {
		o.EOS = m.Config.Text.EosTokenIDs
	}
	return o
}

// ChatContext is the context a chat is kept within: BLIP-2's chats were made for 512
// positions (image prefix included), whatever longer context the language model has.
const ChatContext = 512

// Fits reports whether prompt, with maxNew tokens to generate, fits the language model's
// context.
func (m *Model) Fits(prompt string, maxNew int) (bool, error) {
	return m.FitsWithin(prompt, maxNew, m.LM.ContextLength())
}

// FitsChat reports whether a chat prompt fits ChatContext (or the model's context, when
// that is shorter).
func (m *Model) FitsChat(prompt string, maxNew int) (bool, error) {
	return m.FitsWithin(prompt, maxNew, min(ChatContext, m.LM.ContextLength()))
}

// FitsWithin reports whether prompt and maxNew new tokens fit in limit positions.
func (m *Model) FitsWithin(prompt string, maxNew, limit int) (bool, error) {
	ids, err := m.InputIDs(prompt)
	if err != nil {
		return false, err
	}
	return m.contextNeeded(ids, maxNew) <= limit, nil
}

// contextNeeded is the positions a generation occupies: for a decoder-only model the
// prefix, the prompt and the new tokens; for an encoder-decoder the encoder input and
// the decoder tokens (start token included).
func (m *Model) contextNeeded(ids []int, maxNew int) int {
	n := len(ids) + maxNew
	if m.Config.ImageTokenIndex < 0 {
		n += m.Config.NumQueryTokens
	}
	if m.Config.IsEncoderDecoder() {
		n++
	}
	return n
}

// Generate describes img, prompted by prompt ("" for a plain caption).
func (m *Model) Generate(ctx context.Context, img image.Image, prompt string, opts runtime.GenerateOptions) (*Result, error) {
	t0 := time.Now()
	pixels, err := m.PixelValues(img)
	if err != nil {
		return nil, err
	}
	pre := time.Since(t0)
	r, err := m.GenerateFromPixels(ctx, pixels, prompt, opts)
	if err != nil {
		return nil, err
	}
	r.Timings.Preprocess = pre
	r.Timings.Total += pre
	return r, nil
}

// GenerateFromPixels is Generate on preprocessed pixel values.
func (m *Model) GenerateFromPixels(ctx context.Context, pixels []float32, prompt string, opts runtime.GenerateOptions) (*Result, error) {
	ids, err := m.checkPrompt(prompt, &opts)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	f, err := m.EncodePixels(pixels)
	if err != nil {
		return nil, err
	}
	image := time.Since(t0)
	r, err := m.generate(ctx, f.Prefix, ids, opts)
	if err != nil {
		return nil, err
	}
	r.Timings.Image = image
	r.Timings.Total += image
	return r, nil
}

// ImagePrefix preprocesses img and runs the image path: the language model's prefix
// [numQuery, lmEmbed], to give to GenerateWithPrefix as often as there are prompts
// about the same image. Its timings are the preprocessing's and the image path's.
func (m *Model) ImagePrefix(img image.Image) (*runtime.Tensor, Timings, error) {
	t0 := time.Now()
	pixels, err := m.PixelValues(img)
	if err != nil {
		return nil, Timings{}, err
	}
	t1 := time.Now()
	f, err := m.EncodePixels(pixels)
	if err != nil {
		return nil, Timings{}, err
	}
	t2 := time.Now()
	return f.Prefix, Timings{Preprocess: t1.Sub(t0), Image: t2.Sub(t1), Total: t2.Sub(t0)}, nil
}

// GenerateWithPrefix answers prompt about an image whose prefix ImagePrefix computed:
// the image path does not run again. The prefix is read, not consumed.
func (m *Model) GenerateWithPrefix(ctx context.Context, prefix *runtime.Tensor, prompt string, opts runtime.GenerateOptions) (*Result, error) {
	ids, err := m.checkPrompt(prompt, &opts)
	if err != nil {
		return nil, err
	}
	return m.generate(ctx, prefix, ids, opts)
}

// checkPrompt tokenizes prompt and checks it and opts.MaxNewTokens fit the context.
func (m *Model) checkPrompt(prompt string, opts *runtime.GenerateOptions) ([]int, error) {
	ids, err := m.InputIDs(prompt)
	if err != nil {
		return nil, err
	}
	if opts.MaxNewTokens <= 0 {
		opts.MaxNewTokens = 20
	}
	if need := m.contextNeeded(ids, opts.MaxNewTokens); need > m.LM.ContextLength() {
		return nil, fmt.Errorf("%w: the prompt takes %d positions and %d new tokens were asked for, but the model's context is %d",
			runtime.ErrContext, need-opts.MaxNewTokens, opts.MaxNewTokens, m.LM.ContextLength())
	}
	return ids, nil
}

// generate runs the language model on the prefix and prompt ids.
func (m *Model) generate(ctx context.Context, prefix *runtime.Tensor, ids []int, opts runtime.GenerateOptions) (*Result, error) {
	t1 := time.Now()
	emb, err := m.InputEmbeddings(prefix, ids)
	if err != nil {
		return nil, err
	}
	seq, _, err := m.LM.Start(emb, opts.MaxNewTokens, false)
	runtime.Recycle(m.Backend, emb)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	out, err := runtime.Generate(ctx, seq, ids, opts)
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	return &Result{
		Text:      strings.TrimSpace(m.Tokenizer.Decode(out.Tokens, true)),
		Tokens:    out.Tokens,
		PromptIDs: ids,
		Finished:  out.Finished,
		Timings:   Timings{Prefill: t2.Sub(t1), Decode: t3.Sub(t2), Total: t3.Sub(t1)},
	}, nil
}
