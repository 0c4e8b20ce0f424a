//go:build bigtest

package tests

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

var (
	bigModel  = flag.String("big-model", "blip2-opt-2.7b", "config folder under testdata/real-configs to generate a full-size random checkpoint of")
	bigDTypes = flag.String("big-dtypes", "F32", "stored dtypes to generate and measure, comma-separated: F32, F16, BF16")
	bigDir    = flag.String("big-dir", "", "folder for the generated checkpoints, kept and reused across runs (default: a temporary one, removed)")
	bigBin    = flag.String("big-bin", "", "edge binary to measure (default: this tree's)")
	bigCapGB  = flag.Float64("big-cap-gb", 10, "stop a command whose heap (RssAnon) passes this many GB, so the machine is not pushed out of memory")
	bigTokens = flag.Int("big-tokens", 5, "tokens each caption generates")
	bigReport = flag.String("big-report", "", "file to write the table to (markdown)")
	bigRows   = flag.String("big-rows", "", "measure only the rows whose command contains one of these, comma-separated (default: all)")
)

// TestBigCheckpoints generates a full-size random checkpoint in the hub's exact layout
// and measures each way of loading it: peak heap (RssAnon, sampled from the child's
// /proc status) and wall time. Run through make bigtest; it is not part of make test.
func TestBigCheckpoints(t *testing.T) {
	bin := cmpOr(*bigBin, edgeBinary())
	src := filepath.Join("..", "testdata", "real-configs", *bigModel)
	tokDir := ""
	if strings.Contains(*bigModel, "opt") {
		tokDir = filepath.Join("..", "testdata", "real-tokenizers", "opt") // the hub folder's tokenizer.json is not vendored
	}
	cfg, err := hfconfig.Load(src)
	require.NoError(t, err)
	root := *bigDir
	if root == "" {
		root = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(root, 0o755))
	image := filepath.Join("..", "testdata", "demo", "images", "scene00.png")
	gb := func(b int64) string { return fmt.Sprintf("%.2f GB", float64(b)/1e9) }
	int8Kept, f32Kept := blip2.WeightBytes(cfg, true, false), blip2.WeightBytes(cfg, false, false)
	int4Kept := blip2.Int4WeightBytes(cfg, blip2.DefaultInt4Group)

	var table []string
	add := func(row string) {
		table = append(table, row)
		t.Log(row)
	}
	add(fmt.Sprintf("| %s | stored | heap peak (RssAnon) | file pages peak (RssFile) | wall | heap / weights kept |", *bigModel))
	add("|---|---|---|---|---|---|")
	for _, dt := range strings.Split(*bigDTypes, ",") {
		dtype := safetensors.DType(strings.TrimSpace(dt))
		dir := filepath.Join(root, fmt.Sprintf("%s-%s", *bigModel, dtype))
		if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
			require.NoError(t, os.RemoveAll(dir))
			t0, shown := time.Now(), time.Now()
			require.NoError(t, writeRandomCheckpoint(src, tokDir, dir, dtype, func(done, total int64) {
				if time.Since(shown) > 10*time.Second || done == total {
					shown = time.Now()
					t.Logf("generating %s: %s of %s, %s", dir, gb(done), gb(total), time.Since(t0).Round(time.Second))
				}
			}))
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644))
		}
		floatKept := f32Kept
		if dtype == safetensors.F16 || dtype == safetensors.BF16 {
			floatKept = blip2.HalfWeightBytes(cfg) // 16-bit matrices stay 16-bit (--dtype auto)
		}
		out, out4 := dir+"-int8", dir+"-int4"
		require.NoError(t, os.RemoveAll(out))
		require.NoError(t, os.RemoveAll(out4))
		tokens := fmt.Sprint(*bigTokens)
		rows := []struct {
			name string
			args []string
			kept int64 // weights the command keeps (0: none)
		}{
			{"`edge info --model DIR`", []string{"info", "--model", dir}, 0},
			{"`edge caption --model DIR`", []string{"caption", "--model", dir, "--max-new-tokens", tokens, image}, floatKept},
			{"`edge caption --model DIR --int8`", []string{"caption", "--model", dir, "--int8", "--max-new-tokens", tokens, image}, int8Kept},
			{"`edge quantize DIR OUT`", []string{"quantize", dir, out}, int8Kept},
			{"`edge caption --model OUT` (int8)", []string{"caption", "--model", out, "--max-new-tokens", tokens, image}, int8Kept},
			{"`edge caption --model DIR --int4`", []string{"caption", "--model", dir, "--int4", "--max-new-tokens", tokens, image}, int4Kept},
			{"`edge quantize --bits 4 DIR OUT4`", []string{"quantize", "--bits", "4", dir, out4}, int4Kept},
			{"`edge caption --model OUT4` (int4)", []string{"caption", "--model", out4, "--max-new-tokens", tokens, image}, int4Kept},
		}
		for _, r := range rows {
			if !selected(r.name, *bigRows) {
				continue
			}
			m := measure(t, bin, r.args, int64(*bigCapGB*1e9))
			heap := gb(m.anon)
			if m.capped {
				heap = "> " + gb(int64(*bigCapGB*1e9)) + " (stopped)"
			}
			ratio := ""
			if r.kept > 0 && !m.capped && m.err == nil {
				ratio = fmt.Sprintf("%.2f× of %s", float64(m.anon)/float64(r.kept), gb(r.kept))
			}
			wall := m.wall.Round(100 * time.Millisecond).String()
			if m.err != nil && !m.capped {
				wall += fmt.Sprintf(" (failed: %v)", m.err)
			}
			add(fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", r.name, dtype, heap, gb(m.file), wall, ratio))
		}
		require.NoError(t, os.RemoveAll(out))
		require.NoError(t, os.RemoveAll(out4))
	}
	report := strings.Join(table, "\n") + "\n"
	fmt.Print("\n" + report)
	if *bigReport != "" {
		require.NoError(t, os.WriteFile(*bigReport, []byte(report), 0o644))
	}
}

// selected reports whether a row is among those -big-rows names (all when none).
func selected(name, rows string) bool {
	if rows == "" {
		return true
	}
	for _, r := range strings.Split(rows, ",") {
		if strings.Contains(name, r) {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type measured struct {
	anon, file int64 // peak RssAnon and RssFile, bytes
	wall       time.Duration
	capped     bool
	err        error
}

// measure runs bin with args, sampling its /proc status every 20 ms, and kills it when
// its heap passes capBytes.
func measure(t *testing.T, bin string, args []string, capBytes int64) measured {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var m measured
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			m.wall = time.Since(t0)
			if err != nil {
				m.err = fmt.Errorf("%w: %s", err, lastLine(stderr.String()))
			}
			t.Logf("edge %s: %.2f GB heap, %s", strings.Join(args, " "), float64(m.anon)/1e9, m.wall.Round(100*time.Millisecond))
			return m
		case <-tick.C:
			s, err := residentKB(cmd.Process.Pid)
			if err != nil {
				continue // exiting
			}
			m.anon, m.file = max(m.anon, 1024*s.anon), max(m.file, 1024*s.file)
			if m.anon > capBytes && !m.capped {
				m.capped = true
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r", "\n")), "\n")
	return lines[len(lines)-1]
}
