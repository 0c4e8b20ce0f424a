package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"net/http"
	"strings"
	"time"

	"github.com/edgevlm/edge/runtime"
)

type oaiPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

type oaiMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type oaiRequest struct {
	Model       string          `json:"model"`
	Messages    []oaiMessage    `json:"messages"`
	Stream      bool            `json:"stream"`
	MaxTokens   *int            `json:"max_tokens"`
	MaxCompl    *int            `json:"max_completion_tokens"`
	Temperature *float64        `json:"temperature"`
	TopP        *float64        `json:"top_p"`
	Seed        *uint64         `json:"seed"`
	N           *int            `json:"n"`
	Stop        json.RawMessage `json:"stop"`
}

// parts reads a message's content: a string or a list of text and image_url parts.
func (m oaiMessage) parts() ([]oaiPart, error) {
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return []oaiPart{{Type: "text", Text: s}}, nil
	}
	var ps []oaiPart
	if err := json.Unmarshal(m.Content, &ps); err != nil {
		return nil, badRequest("invalid_content", "message content must be a string or a list of text and image_url parts")
	}
	return ps, nil
}

func stopList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, badRequest("invalid_stop", "stop must be a string or a list of strings")
	}
	return l, nil
}

// chatTurns maps a conversation to BLIP-2 chat: user/assistant pairs become past turns,
// the last user message is the question, and the last image in it (or before) is the
// picture; "camera:latest" or no image at all means the camera's latest frame.
type convMsg struct {
	role, text string
	images     []string
}

func toRequest(msgs []convMsg, decodeImg func(string) (image.Image, error)) (Request, error) {
	var r Request
	if len(msgs) == 0 {
		return r, badRequest("missing_messages", "give at least one message")
	}
	last := msgs[len(msgs)-1]
	if last.role != "user" {
		return r, badRequest("invalid_messages", "the last message must be the user's")
	}
	imgRef := ""
	var q string
	for _, m := range msgs {
		switch m.role {
		case "system":
			continue // BLIP-2 has no system prompt
		case "user":
			if q != "" {
				r.Turns = append(r.Turns, runtime.Turn{Question: q})
			}
			q = m.text
		case "assistant":
			if q != "" {
				r.Turns = append(r.Turns, runtime.Turn{Question: q, Answer: m.text})
				q = ""
			}
		default:
			return r, badRequest("invalid_role", "unknown message role %q", m.role)
		}
		if len(m.images) > 0 {
			imgRef = m.images[len(m.images)-1]
		}
	}
	// Unanswered earlier questions are left out: BLIP-2 turns are question and answer.
	turns := r.Turns[:0]
	for _, t := range r.Turns {
		if t.Answer != "" {
			turns = append(turns, t)
		}
	}
	r.Turns = turns
	r.Question = strings.TrimSpace(q)
	img, err := decodeImg(imgRef)
	if err != nil {
		return r, err
	}
	r.Image = img
	return r, nil
}

func (s *Server) openaiChat(w http.ResponseWriter, hr *http.Request) {
	var in oaiRequest
	if err := decode(hr, &in); err != nil {
		s.openaiError(w, err)
		return
	}
	if err := s.checkModel(in.Model); err != nil {
		s.openaiError(w, err)
		return
	}
	if in.N != nil && *in.N != 1 {
		s.openaiError(w, badRequest("invalid_n", "only n=1 is supported"))
		return
	}
	var msgs []convMsg
	for _, m := range in.Messages {
		ps, err := m.parts()
		if err != nil {
			s.openaiError(w, err)
			return
		}
		cm := convMsg{role: m.Role}
		var texts []string
		for _, p := range ps {
			switch p.Type {
			case "text":
				texts = append(texts, p.Text)
			case "image_url":
				if p.ImageURL == nil {
					s.openaiError(w, badRequest("invalid_image_url", "an image_url part needs {\"url\": …}"))
					return
				}
				cm.images = append(cm.images, p.ImageURL.URL)
			default:
				s.openaiError(w, badRequest("invalid_content", "unknown content part type %q", p.Type))
				return
			}
		}
		cm.text = strings.Join(texts, " ")
		// An image URL that is not "camera:latest" must be a data URL.
		for _, u := range cm.images {
			if u != CameraLatest && !strings.HasPrefix(u, "data:") {
				s.openaiError(w, badRequest("invalid_image_url", "image_url must be a data URL (data:image/png;base64,…) or %q; edge fetches nothing from the network", CameraLatest))
				return
			}
		}
		msgs = append(msgs, cm)
	}
	req, err := toRequest(msgs, func(ref string) (image.Image, error) { return s.decodeImage(ref, true) })
	if err == nil {
		err = s.resolve(&req)
	}
	if err != nil {
		s.openaiError(w, err)
		return
	}
	req.MaxTokens = s.cfg.MaxTokens
	for _, p := range []*int{in.MaxTokens, in.MaxCompl} {
		if p != nil {
			if *p < 1 {
				s.openaiError(w, badRequest("invalid_max_tokens", "max_tokens must be at least 1"))
				return
			}
			req.MaxTokens = *p
		}
	}
	if in.Temperature != nil {
		if *in.Temperature < 0 || *in.Temperature > 2 {
			s.openaiError(w, badRequest("invalid_temperature", "temperature must be between 0 and 2"))
			return
		}
		req.Temperature = *in.Temperature
	}
	if in.TopP != nil {
		if *in.TopP <= 0 || *in.TopP > 1 {
			s.openaiError(w, badRequest("invalid_top_p", "top_p must be in (0, 1]"))
			return
		}
		req.TopP = *in.TopP
	}
	if in.Seed != nil {
		req.Seed = *in.Seed
	}
	if req.Stop, err = stopList(in.Stop); err != nil {
		s.openaiError(w, err)
		return
	}
	id := fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano())
	created := time.Now().Unix()
	if !in.Stream {
		rep, err := s.generate(hr.Context(), req)
		if err != nil {
			s.openaiError(w, err)
			return
		}
		w.Header().Set("X-Edge-Dropped-Turns", itoa(rep.Dropped))
		writeJSON(w, 200, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": s.model.Name(),
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": rep.Text}, "finish_reason": rep.FinishReason}},
			"usage":   map[string]int{"prompt_tokens": rep.PromptTokens, "completion_tokens": rep.CompletionTokens, "total_tokens": rep.PromptTokens + rep.CompletionTokens},
			"edge":    map[string]any{"dropped_turns": rep.Dropped},
		})
		return
	}
	// Headers go out with the first token, so errors before it are still JSON errors.
	sse := &streamer{w: w, contentType: "text/event-stream"}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": s.model.Name(),
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	ctx, cancel := context.WithCancel(hr.Context())
	defer cancel()
	req.OnText = func(d string) {
		if !sse.started {
			sse.event(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
		}
		if sse.event(chunk(map[string]any{"content": d}, nil)) != nil {
			cancel() // the client went away: stop the generation
		}
	}
	rep, err := s.generate(ctx, req)
	if err != nil {
		if !sse.started {
			s.openaiError(w, err)
			return
		}
		e := classify(err)
		sse.event(map[string]any{"error": map[string]any{"message": e.msg, "type": e.typ, "param": nil, "code": e.code}})
		return
	}
	if !sse.started {
		w.Header().Set("X-Edge-Dropped-Turns", itoa(rep.Dropped))
		sse.event(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	}
	last := chunk(map[string]any{}, rep.FinishReason)
	last["usage"] = map[string]int{"prompt_tokens": rep.PromptTokens, "completion_tokens": rep.CompletionTokens, "total_tokens": rep.PromptTokens + rep.CompletionTokens}
	last["edge"] = map[string]any{"dropped_turns": rep.Dropped}
	sse.event(last)
	sse.raw("data: [DONE]\n\n")
}

// streamer writes server-sent events or NDJSON lines, flushing each.
type streamer struct {
	w           http.ResponseWriter
	contentType string
	started     bool
	err         error
}

func (s *streamer) start() {
	if s.started {
		return
	}
	s.started = true
	s.w.Header().Set("Content-Type", s.contentType)
	s.w.Header().Set("Cache-Control", "no-cache")
	s.w.WriteHeader(200)
}

func (s *streamer) raw(text string) error {
	s.start()
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write([]byte(text)); err != nil {
		s.err = err
		return err
	}
	if err := http.NewResponseController(s.w).Flush(); err != nil {
		s.err = err
	}
	return s.err
}

func (s *streamer) event(v any) error {
	b, _ := json.Marshal(v)
	if s.contentType == "text/event-stream" {
		return s.raw("data: " + string(b) + "\n\n")
	}
	return s.raw(string(b) + "\n")
}

func (s *Server) openaiModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"object": "list", "data": []any{
		map[string]any{"id": s.model.Name(), "object": "model", "created": 0, "owned_by": "edge"}}})
}
