package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime"
)

func TestCheckBind(t *testing.T) {
	require.NoError(t, CheckBind("127.0.0.1:11434", ""))
	require.NoError(t, CheckBind("[::1]:11434", ""))
	require.NoError(t, CheckBind("localhost:0", ""))
	require.ErrorContains(t, CheckBind("0.0.0.0:11434", ""), "--api-key")
	require.ErrorContains(t, CheckBind(":11434", ""), "--api-key")
	require.NoError(t, CheckBind("0.0.0.0:11434", "k"))
	require.ErrorContains(t, CheckBind("11434", ""), "host:port")
}

// A request that waits past the per-request timeout gets the timeout error.
func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, Config{RequestTimeout: 300 * time.Millisecond})
	release := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	e.srv.afterToken = func(ctx context.Context, n int) {
		once.Do(func() { close(first) })
		<-release // hold the model past the waiting request's timeout
	}
	url := "data:image/png;base64," + b64(t, demo(5))
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := json.Marshal(oaiBody("", url, true))
		if r, err := http.Post(e.http.URL+"/v1/chat/completions", "application/json", bytes.NewReader(b)); err == nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
	}()
	<-first
	resp, body := e.post(t, "/v1/chat/completions", "", oaiBody("what?", url, false))
	require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"code":"timeout"`)
	close(release)
	<-done
}

// A long conversation keeps its newest turns within the chat context and says how many
// were dropped; the answer is the one for the prompt with the kept turns.
func TestDroppedTurns(t *testing.T) {
	e := newEnv(t, Config{})
	url := "data:image/png;base64," + b64(t, demo(7))
	var msgs []any
	var turns []runtime.Turn
	for i := 0; i < 14; i++ {
		q := strings.Repeat("is there a shape in the picture that is next to another shape ", 2)
		msgs = append(msgs, map[string]any{"role": "user", "content": q}, map[string]any{"role": "assistant", "content": "yes"})
		turns = append(turns, runtime.Turn{Question: q, Answer: "yes"})
	}
	const q = "what color is the background?"
	msgs = append(msgs, map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": url}}, map[string]any{"type": "text", "text": q}}})
	resp, body := e.post(t, "/v1/chat/completions", "", map[string]any{"model": "shapes", "messages": msgs})
	require.Equal(t, 200, resp.StatusCode, string(body))
	var out struct {
		Choices []struct{ Message struct{ Content string } }
		Edge    struct {
			DroppedTurns int `json:"dropped_turns"`
		}
	}
	require.NoError(t, json.Unmarshal(body, &out))
	require.Greater(t, out.Edge.DroppedTurns, 0)
	require.Equal(t, resp.Header.Get("X-Edge-Dropped-Turns"), itoa(out.Edge.DroppedTurns))

	s := runtime.Session{Turns: turns}
	prompt, dropped, err := s.Prompt(q, func(p string) (bool, error) { return e.m.FitsChat(p, 30) })
	require.NoError(t, err)
	require.Equal(t, dropped, out.Edge.DroppedTurns)
	img, err := preprocess.DecodeFile(demo(7))
	require.NoError(t, err)
	o := e.m.DefaultGenerateOptions()
	o.MaxNewTokens, o.MinNewTokens, o.NumBeams, o.DoSample, o.TopP, o.TopK, o.RepetitionPenalty = 30, 0, 1, false, 1, 0, 1
	r, err := e.m.Generate(context.Background(), img, prompt, o)
	require.NoError(t, err)
	require.Equal(t, r.Text, out.Choices[0].Message.Content)
}

// stop cuts the answer at the stop text; max_tokens bounds it.
func TestStopAndMaxTokens(t *testing.T) {
	e := newEnv(t, Config{})
	url := "data:image/png;base64," + b64(t, demo(0))
	full := want(t, e.m, demo(0), "")
	words := strings.Fields(full)
	require.Greater(t, len(words), 3)
	body := oaiBody("", url, false)
	body["stop"] = " " + words[2]
	resp, out := e.post(t, "/v1/chat/completions", "", body)
	require.Equal(t, 200, resp.StatusCode, string(out))
	require.Contains(t, string(out), mustJSON(strings.Join(words[:2], " ")))
	require.Contains(t, string(out), `"finish_reason":"stop"`)

	body = oaiBody("", url, false)
	body["max_tokens"] = 2
	resp, out = e.post(t, "/v1/chat/completions", "", body)
	require.Equal(t, 200, resp.StatusCode, string(out))
	require.Contains(t, string(out), `"finish_reason":"length"`)
	require.Contains(t, string(out), `"completion_tokens":2`)
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, Config{APIKey: "k"})
	r, err := http.Get(e.http.URL + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	require.Equal(t, 200, r.StatusCode)
	require.Contains(t, string(b), `"status":"ok"`)
	resp, body := e.post(t, "/api/generate", "k", map[string]any{"model": "shapes", "images": []string{b64(t, demo(0))}, "stream": false})
	require.Equal(t, 200, resp.StatusCode, string(body))
	req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer k")
	r, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	for _, m := range []string{`edge_http_requests_total{path="/api/generate",code="200"} 1`, "edge_http_tokens_total", "edge_http_tokens_per_second", "edge_http_queue_depth 0", "edge_http_generation_seconds_count 1"} {
		require.Contains(t, string(b), m)
	}
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }
