package httpapi

import (
	"context"
	"image"
	"net/http"
	"time"
)

type ollamaOptions struct {
	NumPredict  *int     `json:"num_predict"`
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	Seed        *uint64  `json:"seed"`
	Stop        []string `json:"stop"`
}

type ollamaMessage struct {
	Role    string   `json:"role"`
	Content string   `json:"content"`
	Images  []string `json:"images"`
}

type ollamaRequest struct {
	Model    string          `json:"model"`
	Prompt   string          `json:"prompt"`
	Images   []string        `json:"images"`
	Messages []ollamaMessage `json:"messages"`
	Stream   *bool           `json:"stream"`
	Raw      bool            `json:"raw"`
	Options  ollamaOptions   `json:"options"`
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) {
	s.ollama(w, r, false)
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) { s.ollama(w, r, true) }

// ollama serves /api/generate (prompt and images: a caption when the prompt is empty, an
// answer otherwise) and /api/chat (messages, as the OpenAI dialect maps them).
func (s *Server) ollama(w http.ResponseWriter, hr *http.Request, chat bool) {
	t0 := time.Now()
	var in ollamaRequest
	if err := decode(hr, &in); err != nil {
		s.ollamaError(w, err)
		return
	}
	if err := s.checkModel(in.Model); err != nil {
		s.ollamaError(w, err)
		return
	}
	img := func(ref string) (image.Image, error) { return s.decodeImage(ref, false) }
	var req Request
	var err error
	if chat {
		var msgs []convMsg
		for _, m := range in.Messages {
			msgs = append(msgs, convMsg{role: m.Role, text: m.Content, images: m.Images})
		}
		req, err = toRequest(msgs, img)
	} else {
		ref := ""
		if len(in.Images) > 0 {
			ref = in.Images[len(in.Images)-1]
		}
		req.Image, err = img(ref)
		if in.Raw {
			req.Raw = in.Prompt
		} else {
			req.Question = in.Prompt
		}
	}
	if err == nil {
		err = s.resolve(&req)
	}
	if err != nil {
		s.ollamaError(w, err)
		return
	}
	o := in.Options
	req.MaxTokens = s.cfg.MaxTokens
	if o.NumPredict != nil && *o.NumPredict > 0 {
		req.MaxTokens = *o.NumPredict
	}
	if o.Temperature != nil {
		if *o.Temperature < 0 {
			s.ollamaError(w, badRequest("invalid_temperature", "temperature must not be negative"))
			return
		}
		req.Temperature = *o.Temperature
	}
	if o.TopP != nil {
		if *o.TopP <= 0 || *o.TopP > 1 {
			s.ollamaError(w, badRequest("invalid_top_p", "top_p must be in (0, 1]"))
			return
		}
		req.TopP = *o.TopP
	}
	if o.Seed != nil {
		req.Seed = *o.Seed
	}
	req.Stop = o.Stop
	stream := in.Stream == nil || *in.Stream
	piece := func(text string, done bool) map[string]any {
		m := map[string]any{"model": s.model.Name(), "created_at": time.Now().UTC().Format(time.RFC3339Nano), "done": done}
		if chat {
			m["message"] = map[string]any{"role": "assistant", "content": text}
		} else {
			m["response"] = text
		}
		return m
	}
	final := func(rep Reply, text string) map[string]any {
		m := piece(text, true)
		m["done_reason"] = rep.FinishReason
		m["total_duration"] = time.Since(t0).Nanoseconds()
		m["prompt_eval_count"] = rep.PromptTokens
		m["eval_count"] = rep.CompletionTokens
		m["eval_duration"] = rep.Decode.Nanoseconds()
		m["dropped_turns"] = rep.Dropped
		return m
	}
	if !stream {
		rep, err := s.generate(hr.Context(), req)
		if err != nil {
			s.ollamaError(w, err)
			return
		}
		writeJSON(w, 200, final(rep, rep.Text))
		return
	}
	nd := &streamer{w: w, contentType: "application/x-ndjson"}
	ctx, cancel := context.WithCancel(hr.Context())
	defer cancel()
	req.OnText = func(d string) {
		if nd.event(piece(d, false)) != nil {
			cancel()
		}
	}
	rep, err := s.generate(ctx, req)
	if err != nil {
		if !nd.started {
			s.ollamaError(w, err)
			return
		}
		nd.event(map[string]string{"error": classify(err).msg})
		return
	}
	nd.event(final(rep, ""))
}

func (s *Server) ollamaTags(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"models": []any{map[string]any{
		"name": s.model.Name() + ":latest", "model": s.model.Name() + ":latest", "modified_at": time.Unix(0, 0).UTC().Format(time.RFC3339),
		"size": 0, "digest": "", "details": map[string]any{"format": "safetensors", "family": "blip-2", "families": []string{"blip-2"}}}}})
}
