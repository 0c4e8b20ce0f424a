package main

import (
	binenc "encoding/binary"
	"encoding/json"
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
)

// sparseCheckpoint writes blip2-opt-2.7b's real config beside a model.safetensors whose
// header lists every tensor the config implies (F32: 15 GB of data) and whose data is a
// hole: a file that would take 15 GB to read costs nothing on disk.
func sparseCheckpoint(t *testing.T) string {
	t.Helper()
	src := "../../testdata/real-configs/blip2-opt-2.7b"
	dir := t.TempDir()
	for _, n := range []string{"config.json", "generation_config.json", "preprocessor_config.json"} {
		b, err := os.ReadFile(filepath.Join(src, n))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), b, 0o644))
	}
	cfg, err := hfconfig.Load(dir)
	require.NoError(t, err)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, s := range blip2.ExpectedTensors(cfg) {
		n := int64(4)
		for _, d := range s.Shape {
			n *= int64(d)
		}
		header[s.Name] = map[string]any{"dtype": "F32", "shape": s.Shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(header)
	require.NoError(t, err)
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	var size [8]byte
	binenc.LittleEndian.PutUint64(size[:], uint64(len(js)))
	_, err = f.Write(append(size[:], js...))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(int64(8+len(js))+off))
	require.NoError(t, f.Close())
	return dir
}

// TestInfoReadsHeadersOnly: `edge info` on a full-size checkpoint reads no weight (its
// peak memory stays far below the 15 GB the weights take) and says which boards the
// model fits, in fp32 and int8.
func TestInfoReadsHeadersOnly(t *testing.T) {
	dir := sparseCheckpoint(t)
	cmd := exec.Command(binary, "info", "--model", dir, "--json")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	t0 := time.Now()
	out, err := cmd.Output()
	took := time.Since(t0)
	require.NoError(t, err)
	peakMB := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	t.Logf("edge info on a 15 GB checkpoint: %.2f s, peak RSS %.0f MB", took.Seconds(), peakMB)
	// ru_maxrss of a child counts the forked test process before exec too (hundreds of
	// MB under -race), so the bound is far from info's own ~90 MB but far below the
	// 15 GB that loading the weights takes.
	require.Less(t, peakMB, 1024.0, "info must not load weights")

	var in modelInfo
	require.NoError(t, json.Unmarshal(out, &in))
	require.InDelta(t, 3.74e9, float64(in.Params), 0.01e9, "blip2-opt-2.7b's parameters")
	require.Equal(t, map[string]int{"F32": 1247}, in.DTypes, "the 1,247 tensors of the hub's index")
	fits := map[string]map[string]bool{}
	for _, b := range in.Boards {
		fits[b.Board] = b.Fits
	}
	require.Equal(t, map[string]bool{"fp32": false, "int8": true}, fits["Orin Nano 8 GB"], "15 GB of fp32 does not fit 8 GB; 3.8 GB of int8 does")
	require.Equal(t, map[string]bool{"fp32": false, "int8": true}, fits["Orin NX 16 GB"])
	require.Equal(t, map[string]bool{"fp32": true, "int8": true}, fits["AGX Orin 32 GB"])

	// Under a budget of 7 GB (a board of 8 GB, a cgroup): int8 fits, fp32 does not, and
	// captioning fp32 is refused from the headers alone, in a blink, naming --int8.
	out, err = exec.Command(binary, "info", "--model", dir, "--json", "--max-memory", "7G").Output()
	require.NoError(t, err)
	in = modelInfo{}
	require.NoError(t, json.Unmarshal(out, &in))
	require.NotNil(t, in.Machine)
	require.Equal(t, map[string]bool{"fp32": false, "int8": true}, in.Machine.Fits)
	require.Equal(t, "--max-memory", in.Machine.BudgetSource)
	t0 = time.Now()
	_, stderr, code := runEdge(t, "", "caption", "--model", dir, "--max-memory", "7G", "../../testdata/demo/images/scene00.png")
	require.Equal(t, 1, code)
	require.Less(t, time.Since(t0), 5*time.Second)
	require.Regexp(t, `needs 16\.\d GB in fp32 \(15\.0 GB of weights, .* over the memory budget of 7\.0 GB \(--max-memory\); --int8 needs 5\.\d GB`, stderr)

	// A checkpoint that lacks a tensor is refused by name, still without loading.
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	more := strings.Replace(string(b), `"num_hidden_layers": 32`, `"num_hidden_layers": 33`, 1)
	require.NotEqual(t, string(b), more)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(more), 0o644))
	_, stderr, code = runEdge(t, "", "info", "--model", dir)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "lacks")
	require.Contains(t, stderr, "layers.32")
}
