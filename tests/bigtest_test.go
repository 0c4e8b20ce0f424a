//go:build bigtest

package tests

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

var (
	bigDir    = flag.String("big-dir", filepath.Join(os.TempDir(), "edge-big"), "folder for the full-size random checkpoints (made once, kept)")
	bigBefore = flag.String("big-before", "", "another edge binary to measure first, for a before/after table")
	bigFP32   = flag.Bool("big-fp32", false, "also caption with the fp32 weights as stored (about 15 GB of memory)")
)

// TestBigCheckpoint writes blip2-opt-2.7b's exact hub layout (1,247 tensors in the hub's
// two shards, from testdata/real-configs) with random fp32 weights, once, and measures
// what loading it costs: each command's peak anonymous resident memory (RssAnon,
// sampled from /proc) and wall time, printed as a markdown table. `make bigtest` runs
// it; it is not part of `make test` (15 GB on disk, minutes).
func TestBigCheckpoint(t *testing.T) {
	src := filepath.Join("..", "testdata", "real-configs", "blip2-opt-2.7b")
	dir := filepath.Join(*bigDir, "blip2-opt-2.7b-f32")
	writeBigCheckpoint(t, src, dir)
	out := filepath.Join(*bigDir, "blip2-opt-2.7b-int8")
	img := filepath.Join("..", "testdata", "demo", "images", "scene00.png")

	type row struct{ name, binary string }
	bins := []row{{"after", edgeBinary()}}
	if *bigBefore != "" {
		bins = append([]row{{"before", *bigBefore}}, bins...)
	}
	var table strings.Builder
	table.WriteString("| binary | command | heap peak (RssAnon) | wall |\n|---|---|---|---|\n")
	for _, b := range bins {
		os.RemoveAll(out)
		cmds := [][]string{
			{"info", "--model", dir},
			{"caption", "--model", dir, "--int8", "--max-new-tokens", "3", img},
			{"quantize", dir, out},
			{"caption", "--model", out, "--max-new-tokens", "3", img},
		}
		if *bigFP32 {
			cmds = append(cmds, []string{"caption", "--model", dir, "--max-new-tokens", "3", img})
		}
		for _, args := range cmds {
			peak, wall, err := measure(b.binary, args)
			require.NoError(t, err, "%s %v", b.binary, args)
			shown := strings.ReplaceAll(strings.Join(args, " "), *bigDir+"/", "")
			fmt.Fprintf(&table, "| %s | `edge %s` | %.2f GB | %.1f s |\n", b.name, shown, float64(peak)/(1<<20), wall.Seconds())
			t.Logf("%s edge %s: RssAnon peak %.2f GB, %.1f s", b.name, shown, float64(peak)/(1<<20), wall.Seconds())
		}
	}
	os.RemoveAll(out)
	t.Logf("big checkpoint figures:\n%s", table.String())
}

// measure runs bin with args, sampling its RssAnon every 20 ms; it returns the peak in
// kB and the wall time.
func measure(bin string, args []string) (int64, time.Duration, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if s, err := residentKB(cmd.Process.Pid); err == nil {
			peak = max(peak, s.anon)
		}
		select {
		case err := <-done:
			return peak, time.Since(start), err
		case <-tick.C:
		}
	}
}

// writeBigCheckpoint writes the checkpoint of src's config into dir in the hub's shards,
// a tensor at a time (never the whole model in memory), unless dir is complete already.
func writeBigCheckpoint(t *testing.T, src, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"config.json", "generation_config.json", "preprocessor_config.json", "model.safetensors.index.json"} {
		copyInto(t, filepath.Join(src, f), dir)
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"} {
		copyInto(t, filepath.Join("..", "testdata", "real-tokenizers", "opt", f), dir)
	}
	cfg, err := hfconfig.Load(dir)
	require.NoError(t, err)
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &index))
	store := blip2.NewRandomStore(cfg, false, false)
	shards := map[string][]safetensors.Tensor{}
	for _, s := range blip2.ExpectedTensors(cfg) {
		file, ok := index.WeightMap[s.Name]
		require.True(t, ok, "%s is not in the hub's index", s.Name)
		shape, _, _ := store.Lookup(s.Name)
		shards[file] = append(shards[file], safetensors.Tensor{Name: s.Name, DType: safetensors.F32, Shape: shape})
	}
	for file, specs := range shards {
		t.Logf("writing %s (%d tensors)", file, len(specs))
		require.NoError(t, safetensors.WriteFileFunc(filepath.Join(dir, file), specs, map[string]string{"format": "pt"}, func(name string) ([]byte, error) {
			w, err := store.Float32(name)
			return safetensors.F32Bytes(w), err
		}))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "done"), nil, 0o644))
}

func copyInto(t *testing.T, from, dir string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(from)), data, 0o644))
}
