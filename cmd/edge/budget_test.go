package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/shapes"
)

// A budget between what int8 and fp32 need refuses fp32 before loading, in one line
// that names both figures and --int8, and lets --int8 caption; a bad size is a usage
// error.
func TestMaxMemory(t *testing.T) {
	dir, err := shapes.Dir()
	require.NoError(t, err)
	ck, err := blip2.Inspect(dir)
	require.NoError(t, err)
	f32, i8 := ck.Need(blip2.NeedOptions{}).Total(), ck.Need(blip2.NeedOptions{Int8: true}).Total()
	require.Less(t, i8, f32)
	budget := fmt.Sprint(i8) // bytes
	img := "../../testdata/demo/images/scene00.png"

	stdout, stderr, code := runEdge(t, "", "caption", "--max-memory", budget, img)
	require.Equal(t, 1, code, stderr)
	require.Empty(t, stdout)
	require.Equal(t, 1, countLines(stderr), stderr)
	require.Contains(t, stderr, "over the memory budget of")
	require.Contains(t, stderr, "(--max-memory)")
	require.Contains(t, stderr, "in fp32")
	require.Contains(t, stderr, "--int8 needs")
	require.NotContains(t, stderr, "loading weights", "refused before loading")

	stdout, stderr, code = runEdge(t, "", "caption", "--max-memory", budget, "--int8", img)
	require.Equal(t, 0, code, stderr)
	require.NotEmpty(t, stdout)

	for _, cmd := range [][]string{{"caption", img}, {"ask", img, "what is it?"}, {"describe", "../../testdata/demo/images", "--out", t.TempDir() + "/out.jsonl"}, {"bench", "--runs", "1"}} {
		_, stderr, code = runEdge(t, "", append(cmd, "--max-memory", "7 gigs")...)
		require.Equal(t, 2, code, "%v: %s", cmd, stderr)
		require.Contains(t, stderr, `--max-memory: size "7 gigs"`)
		require.Equal(t, 1, countLines(stderr), stderr)
	}
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}

// edge run takes the budget from its YAML file and the environment too, and refuses
// before it opens the camera or the broker.
func TestRunMaxMemoryFromConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "edge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("model:\n  max_memory: 1M\n"), 0o644))
	_, stderr, code := runEdge(t, "", "run", "--config", cfg, "--duration", "5s")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "over the memory budget of 1 MB (--max-memory)")

	require.NoError(t, os.WriteFile(cfg, []byte("model:\n  max_memory: much\n"), 0o644))
	_, stderr, code = runEdge(t, "", "run", "--config", cfg, "--duration", "5s")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "model.max_memory")

	cmd := exec.Command(binary, "run", "--duration", "5s")
	cmd.Env = append(os.Environ(), "EDGE_MAX_MEMORY=2MB", "XDG_CACHE_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "over the memory budget of 2 MB")
}
