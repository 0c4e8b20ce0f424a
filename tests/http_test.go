package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const shapesModel = "blip2-shapes-opt"

// edgeText runs the edge binary (caption or ask) and returns its one line of text.
func edgeText(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(edgeBinary(), args...)
	cmd.Dir = ".."
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	require.NoError(t, err, "edge %v", args)
	return strings.TrimSpace(string(out))
}

var listening = regexp.MustCompile(`on http://(127\.0\.0\.1:\d+)`)

// serveAddr waits for the address a started edge says it listens on.
func serveAddr(t *testing.T, p *edgeProc) string {
	t.Helper()
	for {
		if m := listening.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[1]
		}
		require.True(t, p.running(), "edge exited before listening: %s", p.stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
}

// The official OpenAI and Ollama JavaScript clients stream a caption and ask a question
// of `edge serve`, and get what `edge caption` and `edge ask` say.
func TestHTTPOfficialClients(t *testing.T) {
	clients, err := filepath.Abs("httpclients")
	require.NoError(t, err)
	for _, pkg := range []string{"openai", "ollama"} {
		if _, err := os.Stat(filepath.Join(clients, "node_modules", pkg, "package.json")); err != nil {
			t.Skipf("the npm package %s is not installed (scripts/install-http-clients.sh could not reach npm)", pkg)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	p := startEdge(t, "..", "serve", "--http", "127.0.0.1:0", "--api-key", "test-key")
	addr := serveAddr(t, p)
	for _, c := range []struct{ image, question string }{
		{"testdata/demo/images/scene01.png", "what color is the background?"},
		{"testdata/demo/images/scene06.png", "what shape is on the left?"},
	} {
		img, _ := filepath.Abs(filepath.Join("..", c.image))
		cmd := exec.Command(node, "clients.mjs", "http://"+addr, "test-key", shapesModel, img, c.question)
		cmd.Dir = clients
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		var got struct {
			OpenAIModels       []string `json:"openai_models"`
			OpenAICaption      string   `json:"openai_caption"`
			OpenAIChunks       int      `json:"openai_chunks"`
			OpenAIAnswer       string   `json:"openai_answer"`
			OpenAIUnknownModel string   `json:"openai_unknown_model"`
			OllamaTags         []string `json:"ollama_tags"`
			OllamaCaption      string   `json:"ollama_caption"`
			OllamaChunks       int      `json:"ollama_chunks"`
			OllamaAnswer       string   `json:"ollama_answer"`
		}
		require.NoError(t, json.Unmarshal(out, &got), string(out))
		caption := edgeText(t, "caption", c.image)
		answer := edgeText(t, "ask", c.image, c.question)
		require.Equal(t, []string{shapesModel}, got.OpenAIModels)
		require.Equal(t, caption, got.OpenAICaption)
		require.Equal(t, answer, got.OpenAIAnswer)
		require.Equal(t, "404 model_not_found", got.OpenAIUnknownModel)
		require.Equal(t, []string{shapesModel + ":latest"}, got.OllamaTags)
		require.Equal(t, caption, got.OllamaCaption)
		require.Equal(t, answer, got.OllamaAnswer)
		// Token by token: more pieces than the role chunk and the final one.
		require.Greater(t, got.OpenAIChunks, 3)
		require.Greater(t, got.OllamaChunks, 3)
		t.Logf("%s: caption %q (%d SSE chunks, %d NDJSON lines), answer %q", c.image, caption, got.OpenAIChunks, got.OllamaChunks, answer)
	}
}

// The README's curl examples run against a real edge serve and say what edge says.
func TestHTTPReadmeCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)## An HTTP API.*?```sh\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README has the HTTP API section with a sh block")
	lines := strings.Split(strings.TrimSpace(string(block[1])), "\n")
	require.True(t, strings.HasPrefix(lines[0], "edge serve"), "the block starts the server")
	p := startEdge(t, "..", "serve", "--http", "127.0.0.1:0")
	addr := serveAddr(t, p)
	script := "set -euo pipefail\n" + strings.ReplaceAll(strings.Join(lines[1:], "\n"), "127.0.0.1:11434", addr)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	text := string(out)
	answer := edgeText(t, "ask", "testdata/demo/images/scene00.png", "what color is the background?")
	require.Contains(t, text, `"id":"`+shapesModel+`"`)
	require.Contains(t, text, `"name":"`+shapesModel+`:latest"`)
	require.Contains(t, text, `"response":`+mustJSON(answer))
	require.Contains(t, text, "data: [DONE]")
	require.Contains(t, text, "edge_http_tokens_total")
	// The streamed caption is edge caption's.
	var caption strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if data, ok := strings.CutPrefix(line, "data: {"); ok {
			var c struct {
				Choices []struct{ Delta struct{ Content string } }
			}
			require.NoError(t, json.Unmarshal([]byte("{"+data), &c))
			caption.WriteString(c.Choices[0].Delta.Content)
		}
	}
	require.Equal(t, edgeText(t, "caption", "testdata/demo/images/scene00.png"), caption.String())
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }

// edge run --http answers about the latest camera frame while captions keep flowing.
func TestHTTPRunLatestFrame(t *testing.T) {
	const image = "testdata/demo/images/scene03.png"
	mq := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startEdge(t, "..", "run", "--camera", image, "--on-end", "loop", "--max-fps", "5", "--interval", "500ms",
		"--embedded-addr", mq, "--http", "127.0.0.1:0", "--print")
	addr := serveAddr(t, p)
	captions := func() int { return strings.Count(p.stdout.String(), "caption ") }
	for captions() < 1 {
		require.True(t, p.running(), p.stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
	const q = "what color is the background?"
	answer := edgeText(t, "ask", image, q)
	body := `{"model":"` + shapesModel + `","messages":[{"role":"user","content":` + mustJSON(q) + `}]}`
	resp, err := http.Post("http://"+addr+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, string(out))
	var got struct {
		Choices []struct{ Message struct{ Content string } }
	}
	require.NoError(t, json.Unmarshal(out, &got))
	require.Equal(t, answer, got.Choices[0].Message.Content)
	// The same through Ollama with the explicit reference.
	body = `{"model":"` + shapesModel + `","prompt":` + mustJSON(q) + `,"images":["camera:latest"],"stream":false}`
	resp, err = http.Post("http://"+addr+"/api/generate", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	var og struct{ Response string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&og))
	resp.Body.Close()
	require.Equal(t, answer, og.Response)

	// The latest frame as JPEG and the latest caption, which is edge caption's.
	resp, err = http.Get("http://" + addr + "/v1/frames/latest")
	require.NoError(t, err)
	jpg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(jpg, []byte{0xFF, 0xD8}), "a JPEG")
	resp, err = http.Get("http://" + addr + "/v1/captions/latest")
	require.NoError(t, err)
	var lc struct{ Text string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&lc))
	resp.Body.Close()
	require.Equal(t, edgeText(t, "caption", image), lc.Text)

	// Captions keep coming after the questions.
	n := captions()
	for captions() <= n {
		require.True(t, p.running(), p.stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
	sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
	for sc.Scan() {
		require.Contains(t, sc.Text(), lc.Text, "every caption is of the one image")
	}
}

// A non-loopback address without a key is refused with one line, before the model loads.
func TestHTTPNonLoopbackNeedsKey(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--http", "0.0.0.0:0"},
		{"run", "--http", "0.0.0.0:0", "--duration", "5s"},
	} {
		p := startEdge(t, "..", args...)
		code, _ := p.wait(time.Minute)
		require.Equal(t, 2, code, "edge %v", args)
		stderr := strings.TrimSpace(p.stderr.String())
		require.Contains(t, stderr, "--api-key")
		require.Equal(t, 1, strings.Count(stderr, "\n")+1, stderr)
	}
}
