package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
)

// f32Copy writes the embedded shapes model (stored in fp16) into a new folder with every
// float tensor in fp32: an fp32 checkpoint whose goldens are known.
func f32Copy(t *testing.T) string {
	t.Helper()
	src, dst := "../../models/shapes/blip2-shapes-opt", filepath.Join(t.TempDir(), "shapes-f32")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if !strings.HasSuffix(e.Name(), ".safetensors") {
			raw, err := os.ReadFile(from)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(to, raw, 0o644))
			continue
		}
		a, err := safetensors.Open(from)
		require.NoError(t, err)
		var tensors []safetensors.Tensor
		for _, name := range a.Names() {
			info, _ := a.Info(name)
			vals, err := a.Float32(name)
			require.NoError(t, err, name)
			tensors = append(tensors, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: info.Shape, Data: safetensors.F32Bytes(vals)})
		}
		require.NoError(t, safetensors.WriteFile(to, tensors, a.Metadata()))
		require.NoError(t, a.Close())
	}
	return dst
}

// TestDTypeKeepsTheCaptions runs the real binary on an fp32 checkpoint with --dtype fp16
// and bf16 (the matrices narrowed while loading) and on the embedded fp16 one with
// --dtype fp32 (widened): every demo caption and its token ids are transformers'.
func TestDTypeKeepsTheCaptions(t *testing.T) {
	var images []string
	want := map[string]manifestCase{}
	for _, c := range demoManifest(t) {
		if c.Prompt == "" {
			path := filepath.Join("../../testdata/demo/images", c.Image)
			images = append(images, path)
			want[path] = c
		}
	}
	f32 := f32Copy(t)
	for _, args := range [][]string{{"--model", f32, "--dtype", "fp16"}, {"--model", f32, "--dtype", "bf16"}, {"--dtype", "fp32"}} {
		stdout, stderr, code := runEdge(t, "", append(append([]string{"caption", "--json", "--max-new-tokens", "20"}, args...), images...)...)
		require.Equal(t, 0, code, stderr)
		sc := bufio.NewScanner(strings.NewReader(stdout))
		n := 0
		for sc.Scan() {
			var a answer
			require.NoError(t, json.Unmarshal(sc.Bytes(), &a))
			c := want[a.Image]
			require.Equal(t, strings.TrimSpace(c.GreedyText), a.Text, "%v %s", args, a.Image)
			require.Equal(t, c.GreedyIDs, a.TokenIDs, "%v %s", args, a.Image)
			n++
		}
		require.Equal(t, len(images), n, "%v", args)
	}
}

func TestBadDTypeIsOneLine(t *testing.T) {
	for _, cmd := range [][]string{{"caption", "../../testdata/demo/images/scene00.png"}, {"bench", "--runs", "1"}} {
		_, stderr, code := runEdge(t, "", append(cmd, "--dtype", "fp8")...)
		require.Equal(t, 2, code, stderr)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
		require.Contains(t, stderr, `--dtype "fp8": use auto, fp32, fp16 or bf16`)
	}
	stdout, _, code := runEdge(t, "", "caption", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "-dtype")
	require.Contains(t, stdout, "--int8 wins")
}
