package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// binary is the real edge command, built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edge-cli-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "edge")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runEdge(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &o, &e, strings.NewReader(stdin)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), e.String(), 0
}

type manifestCase struct {
	Name, Image, Prompt string
	InputIDs            []int  `json:"input_ids"`
	GreedyIDs           []int  `json:"greedy_ids"`
	GreedyText          string `json:"greedy_text"`
}

func demoManifest(t *testing.T) []manifestCase {
	raw, err := os.ReadFile("../../testdata/demo/manifest.json")
	require.NoError(t, err)
	var m struct{ Cases []manifestCase }
	require.NoError(t, json.Unmarshal(raw, &m))
	return m.Cases
}

// TestCaptionJSONMatchesGoldens runs `edge caption --json` on every demo image (the
// default embedded model) and compares text and token ids with transformers'.
func TestCaptionJSONMatchesGoldens(t *testing.T) {
	var images []string
	want := map[string]manifestCase{}
	for _, c := range demoManifest(t) {
		if c.Prompt == "" {
			path := filepath.Join("../../testdata/demo/images", c.Image)
			images = append(images, path)
			want[path] = c
		}
	}
	stdout, stderr, code := runEdge(t, "", append([]string{"caption", "--json", "--max-new-tokens", "20"}, images...)...)
	require.Equal(t, 0, code, stderr)
	sc := bufio.NewScanner(strings.NewReader(stdout))
	n := 0
	for sc.Scan() {
		var a answer
		require.NoError(t, json.Unmarshal(sc.Bytes(), &a))
		c, ok := want[a.Image]
		require.True(t, ok, a.Image)
		require.Equal(t, strings.TrimSpace(c.GreedyText), a.Text, a.Image)
		require.Equal(t, c.GreedyIDs, a.TokenIDs, a.Image)
		require.Equal(t, c.InputIDs, a.PromptIDs, a.Image)
		for _, stage := range []string{"preprocess", "image", "prefill", "decode", "total"} {
			require.Contains(t, a.TimingsMS, stage)
		}
		n++
	}
	require.Equal(t, len(images), n)
}

func TestAskAndChat(t *testing.T) {
	img := "../../testdata/demo/images/scene00.png"
	stdout, stderr, code := runEdge(t, "", "ask", img, "what color is the circle?")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "blue\n", stdout)

	stdout, stderr, code = runEdge(t, "what shape is on the left?\nwhat color is it?\n", "chat", img)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "square\ngreen\n", stdout)
}

func TestDescribeIsResumable(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"scene00.png", "scene01.png", "scene02.png"} {
		data, err := os.ReadFile(filepath.Join("../../testdata/demo/images", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	out := filepath.Join(t.TempDir(), "results.jsonl")
	// A previous run that described scene00 and died halfway through scene01's line.
	first := `{"image":"` + filepath.Join(dir, "scene00.png") + `","prompt":"","text":"kept","token_ids":[1],"model":"m","timings_ms":{}}` + "\n"
	require.NoError(t, os.WriteFile(out, []byte(first+`{"image":"`+filepath.Join(dir, "scene01.png")+`","te`), 0o644))
	_, stderr, code := runEdge(t, "", "describe", dir, "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "skipped 1 already done")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 3)
	require.Equal(t, strings.TrimSpace(first), lines[0])
	var a answer
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &a))
	for _, c := range demoManifest(t) {
		if c.Image == "scene02.png" && c.Prompt == "" {
			require.Equal(t, c.GreedyText, a.Text)
		}
	}
}

// TestBadInputGivesOneLineErrors checks what a person sees when they get it wrong.
func TestBadInputGivesOneLineErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.png")
	require.NoError(t, os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644))
	file := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(file, []byte("{}"), 0o644))
	img := "../../testdata/demo/images/scene00.png"
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"missing model folder", []string{"caption", "--model", filepath.Join(dir, "nope"), img}, 1, "no such folder"},
		{"model is a file", []string{"caption", "--model", file, img}, 1, "is a file"},
		{"model folder without config", []string{"caption", "--model", t.TempDir(), img}, 1, "config.json"},
		{"model folder without tokenizer", []string{"caption", "--model", dir, img}, 1, "tokenizer.json"},
		{"missing image", []string{"caption", filepath.Join(dir, "missing.png")}, 1, "missing.png"},
		{"corrupt image", []string{"caption", corrupt}, 1, "corrupt.png"},
		{"unknown flag", []string{"caption", "--frobnicate", img}, 2, "frobnicate"},
		{"unknown command", []string{"paint"}, 2, "unknown command"},
		{"no image", []string{"caption"}, 2, "at least one image"},
		{"prompt over the context", []string{"caption", "--prompt", strings.Repeat("red ", 200), img}, 1, "context"},
		{"ask without question", []string{"ask", img}, 2, "question"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runEdge(t, "", tc.args...)
			require.Equal(t, tc.code, code, "stdout %q stderr %q", stdout, stderr)
			require.Contains(t, stderr, tc.contains)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			require.NotContains(t, stderr, "goroutine", "no stack trace")
		})
	}
}

func TestHelpShowsExamples(t *testing.T) {
	for _, cmd := range []string{"caption", "ask", "chat", "describe", "info", "run", "demo", "quantize", "bench", "export-tflite"} {
		stdout, _, code := runEdge(t, "", cmd, "--help")
		require.Equal(t, 0, code, cmd)
		require.Contains(t, stdout, "Usage: edge "+cmd, cmd)
		require.Contains(t, stdout, "edge "+cmd, cmd)
	}
	stdout, _, code := runEdge(t, "", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "Examples:")
}

// TestEncoderTFLiteFallsBack: a binary built without the TFLite engine says so and
// captions with its own image path, as the issue asks of a missing library.
func TestEncoderTFLiteFallsBack(t *testing.T) {
	stdout, stderr, code := runEdge(t, "", "caption", "--encoder", "tflite", "../../testdata/demo/images/scene00.png")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "a green square and a blue circle on a gray background\n", stdout)
	require.Contains(t, stderr, "using the native image path")
	_, stderr, code = runEdge(t, "", "caption", "--encoder", "onnx", "../../testdata/demo/images/scene00.png")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--encoder")
}
