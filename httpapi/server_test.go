package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/models/shapes"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

var (
	loadOnce sync.Once
	shared   *blip2.Model
	loadErr  error
)

func model(t *testing.T) *blip2.Model {
	t.Helper()
	loadOnce.Do(func() {
		dir, err := shapes.Dir()
		if err != nil {
			loadErr = err
			return
		}
		shared, loadErr = blip2.Load(dir, blip2.Options{Backend: cpu.New(0)})
	})
	require.NoError(t, loadErr)
	return shared
}

// want is what `edge ask` (or `edge caption` for "") answers for a demo image.
func want(t *testing.T, m *blip2.Model, image, question string) string {
	t.Helper()
	img, err := preprocess.DecodeFile(image)
	require.NoError(t, err)
	o := m.DefaultGenerateOptions()
	o.MaxNewTokens, o.MinNewTokens, o.NumBeams, o.DoSample, o.TopP, o.TopK, o.RepetitionPenalty = 30, 0, 1, false, 1, 0, 1
	prompt := ""
	if question != "" {
		prompt = runtime.FormatQuestion(question)
	}
	r, err := m.Generate(context.Background(), img, prompt, o)
	require.NoError(t, err)
	return r.Text
}

func demo(i int) string { return fmt.Sprintf("../testdata/demo/images/scene%02d.png", i) }

func b64(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(data)
}

type env struct {
	srv  *Server
	http *httptest.Server
	m    *blip2.Model
}

func newEnv(t *testing.T, cfg Config) *env {
	m := model(t)
	s := New(cfg, NewBLIP2(m, "shapes", nil), nil)
	h := httptest.NewServer(s)
	t.Cleanup(h.Close)
	return &env{srv: s, http: h, m: m}
}

func (e *env) post(t *testing.T, path, key string, body any) (*http.Response, []byte) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	}
	req, err := http.NewRequest("POST", e.http.URL+path, bytes.NewReader(b))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

func oaiBody(question, imageURL string, stream bool) map[string]any {
	content := []any{map[string]any{"type": "image_url", "image_url": map[string]any{"url": imageURL}}}
	if question != "" {
		content = append(content, map[string]any{"type": "text", "text": question})
	}
	return map[string]any{"model": "shapes", "stream": stream, "messages": []any{map[string]any{"role": "user", "content": content}}}
}

func TestOpenAIAnswersAsEdgeAsk(t *testing.T) {
	e := newEnv(t, Config{})
	url := "data:image/png;base64," + b64(t, demo(1))
	resp, body := e.post(t, "/v1/chat/completions", "", oaiBody("what color is the background?", url, false))
	require.Equal(t, 200, resp.StatusCode, string(body))
	var out struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	require.NoError(t, json.Unmarshal(body, &out))
	require.Equal(t, want(t, e.m, demo(1), "what color is the background?"), out.Choices[0].Message.Content)

	// Streaming: the deltas add up to the caption.
	req, _ := json.Marshal(oaiBody("", url, true))
	r, err := http.Post(e.http.URL+"/v1/chat/completions", "application/json", bytes.NewReader(req))
	require.NoError(t, err)
	defer r.Body.Close()
	require.Equal(t, "text/event-stream", r.Header.Get("Content-Type"))
	var text strings.Builder
	chunks, done := 0, false
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			done = true
			break
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string }
			}
		}
		require.NoError(t, json.Unmarshal([]byte(line), &c))
		text.WriteString(c.Choices[0].Delta.Content)
		chunks++
	}
	require.True(t, done)
	require.Greater(t, chunks, 3, "token by token")
	require.Equal(t, want(t, e.m, demo(1), ""), text.String())
}

func TestOllamaGenerateAndChat(t *testing.T) {
	e := newEnv(t, Config{})
	img := b64(t, demo(2))
	// Streaming NDJSON is the default.
	req, _ := json.Marshal(map[string]any{"model": "shapes", "prompt": "what shape is on the left?", "images": []string{img}})
	r, err := http.Post(e.http.URL+"/api/generate", "application/json", bytes.NewReader(req))
	require.NoError(t, err)
	defer r.Body.Close()
	var text strings.Builder
	dec := json.NewDecoder(r.Body)
	last := map[string]any{}
	for dec.More() {
		var piece map[string]any
		require.NoError(t, dec.Decode(&piece))
		text.WriteString(piece["response"].(string))
		last = piece
	}
	require.Equal(t, true, last["done"])
	require.Equal(t, want(t, e.m, demo(2), "what shape is on the left?"), text.String())

	resp, body := e.post(t, "/api/chat", "", map[string]any{"model": "shapes:latest", "stream": false,
		"messages": []any{map[string]any{"role": "user", "content": "what color is the background?", "images": []string{img}}}})
	require.Equal(t, 200, resp.StatusCode, string(body))
	var out struct{ Message struct{ Content string } }
	require.NoError(t, json.Unmarshal(body, &out))
	require.Equal(t, want(t, e.m, demo(2), "what color is the background?"), out.Message.Content)
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, Config{MaxImageBytes: 4000, APIKey: "k"})
	tiny := tinyPNG(t)
	long := strings.Repeat("what is that shape next to the other shape? ", 200)
	cases := []struct {
		name, path, key string
		body            any
		status          int
		code            string
	}{
		{"not JSON", "/v1/chat/completions", "k", "{not json", 400, "invalid_json"},
		{"unknown model", "/v1/chat/completions", "k", map[string]any{"model": "gpt-4o", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, 404, "model_not_found"},
		{"broken data URL", "/v1/chat/completions", "k", oaiBody("what?", "data:image/png;base64,@@@", false), 400, "invalid_image"},
		{"not a data URL", "/v1/chat/completions", "k", oaiBody("what?", "https://example.com/a.png", false), 400, "invalid_image_url"},
		{"image that does not decode", "/v1/chat/completions", "k", oaiBody("what?", "data:image/png;base64,"+base64.StdEncoding.EncodeToString([]byte("GIF89a not an image at all")), false), 400, "invalid_image"},
		{"image over the limit", "/v1/chat/completions", "k", oaiBody("what?", "data:image/png;base64,"+b64(t, demo(0)), false), 413, "image_too_large"},
		{"prompt over the context", "/v1/chat/completions", "k", oaiBody(long, "data:image/png;base64,"+tiny, false), 400, "context_length_exceeded"},
		{"no image, no camera", "/v1/chat/completions", "k", map[string]any{"model": "shapes", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, 400, "missing_image"},
		{"wrong key", "/v1/chat/completions", "nope", oaiBody("what?", "data:image/png;base64,"+tiny, false), 401, "invalid_api_key"},
		{"missing key", "/v1/models", "", map[string]any{}, 401, "invalid_api_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp *http.Response
			var body []byte
			if c.path == "/v1/models" {
				r, err := http.Get(e.http.URL + c.path)
				require.NoError(t, err)
				body, _ = io.ReadAll(r.Body)
				r.Body.Close()
				resp = r
			} else {
				resp, body = e.post(t, c.path, c.key, c.body)
			}
			require.Equal(t, c.status, resp.StatusCode, string(body))
			var oe struct {
				Error struct{ Message, Type, Code string }
			}
			require.NoError(t, json.Unmarshal(body, &oe), string(body))
			require.Equal(t, c.code, oe.Error.Code, string(body))
			require.NotEmpty(t, oe.Error.Message)
		})
	}
	// The Ollama dialect: {"error": "…"}.
	for _, c := range []struct {
		name, key string
		body      any
		status    int
	}{
		{"not JSON", "k", "[1,", 400},
		{"unknown model", "k", map[string]any{"model": "llava", "prompt": "hi", "images": []string{tiny}}, 404},
		{"broken base64", "k", map[string]any{"model": "shapes", "prompt": "hi", "images": []string{"%%%"}}, 400},
		{"image over the limit", "k", map[string]any{"model": "shapes", "prompt": "hi", "images": []string{b64(t, demo(0))}}, 413},
		{"prompt over the context", "k", map[string]any{"model": "shapes", "prompt": long, "images": []string{tiny}}, 400},
		{"wrong key", "x", map[string]any{"model": "shapes", "prompt": "hi", "images": []string{tiny}}, 401},
	} {
		t.Run("ollama "+c.name, func(t *testing.T) {
			resp, body := e.post(t, "/api/generate", c.key, c.body)
			require.Equal(t, c.status, resp.StatusCode, string(body))
			var oe struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &oe), string(body))
			require.NotEmpty(t, oe.Error)
		})
	}
	// A body over the limit is refused as such.
	e2 := newEnv(t, Config{MaxBodyBytes: 1000})
	resp, body := e2.post(t, "/v1/chat/completions", "", oaiBody("what?", "data:image/png;base64,"+b64(t, demo(0)), false))
	require.Equal(t, 413, resp.StatusCode, string(body))
}

// tinyPNG is a demo image shrunk under the test's image limit.
func tinyPNG(t *testing.T) string {
	t.Helper()
	img, err := preprocess.DecodeFile(demo(0))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, encodeSmallPNG(&buf, img, 16))
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}
