//go:build bigtest

package tests

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

var (
	bigCgroupGB = flag.Float64("big-cgroup-gb", 7, "memory limit of the cgroup TestBigCheckpointsUnderCgroup runs edge in, GB")
	bigF32Dir   = flag.String("big-f32-dir", "", "an existing full-size fp32 checkpoint folder to use (default: the one TestBigCheckpoints generates under -big-dir)")
	bigInt8Dir  = flag.String("big-int8-dir", "", "its int8 folder from edge quantize (default: made next to it when missing, and kept)")
)

// TestBigCheckpointsUnderCgroup runs the real binary in a memory cgroup of 7 GB, as a
// board of 8 GB leaves it (or a systemd unit with MemoryMax=7G), from a cold page cache:
// the int8 folder captions, the fp32 folder captions with --int8, and the fp32 folder
// without it (15 GB) is refused before loading with the message that says so, the
// budget coming from the cgroup. It needs root (a cgroup v1 memory hierarchy or a v2 one with the memory
// controller) and skips saying why otherwise.
func TestBigCheckpointsUnderCgroup(t *testing.T) {
	bin := cmpOr(*bigBin, edgeBinary())
	f32 := *bigF32Dir
	if f32 == "" {
		require.NotEmpty(t, *bigDir, "give -big-dir (BIGTEST_DIR) with a checkpoint TestBigCheckpoints generated, or -big-f32-dir")
		f32 = filepath.Join(*bigDir, *bigModel+"-F32")
	}
	if _, err := os.Stat(filepath.Join(f32, "config.json")); err != nil {
		t.Skipf("no fp32 checkpoint at %s: run TestBigCheckpoints with -big-dir first, or give -big-f32-dir", f32)
	}
	int8Dir := cmpOr(*bigInt8Dir, f32+"-int8-kept")
	if _, err := os.Stat(filepath.Join(int8Dir, "config.json")); err != nil {
		out, err := exec.Command(bin, "quantize", f32, int8Dir).CombinedOutput()
		require.NoError(t, err, "%s", lastLine(string(out)))
	}

	limit := int64(*bigCgroupGB * 1e9)
	// One cgroup per command, so that the page cache one command leaves charged does not
	// count in the next one's usage.
	newCgroup := func(i int) *memoryCgroup {
		cg, err := newMemoryCgroup(fmt.Sprintf("edge-bigtest-%d-%d", os.Getpid(), i), limit)
		if err != nil {
			t.Skipf("no memory cgroup can be made here (%v): run as root on a machine with cgroup v1 memory or v2 with the memory controller", err)
		}
		t.Logf("cgroup %s, limit %.2f GB", cg.dir, float64(cg.limit())/1e9)
		return cg
	}
	image := filepath.Join("..", "testdata", "demo", "images", "scene00.png")
	tokens := fmt.Sprint(*bigTokens)
	rows := []struct {
		name    string
		args    []string
		refused bool
	}{
		{"`edge caption --model OUT` (int8 folder)", []string{"caption", "--model", int8Dir, "--max-new-tokens", tokens, image}, false},
		{"`edge caption --model DIR --int8` (fp32 folder)", []string{"caption", "--model", f32, "--int8", "--max-new-tokens", tokens, image}, false},
		{"`edge caption --model DIR` (fp32 folder)", []string{"caption", "--model", f32, "--max-new-tokens", tokens, image}, true},
	}
	table := []string{
		fmt.Sprintf("| %s, cgroup limit %.1f GB | outcome | heap peak (RssAnon) | file pages peak (RssFile) | cgroup max usage | wall |", *bigModel, float64(limit)/1e9),
		"|---|---|---|---|---|---|",
	}
	for i, r := range rows {
		// The checkpoint's pages leave the page cache first (only clean pages of our own
		// files), so that what the command reads is charged to its cgroup: a cold start,
		// and the file pages count against the limit as on a board after a reboot.
		for _, dir := range []string{f32, int8Dir} {
			require.NoError(t, dropCached(dir))
		}
		cg := newCgroup(i)
		// The shell moves itself into the cgroup and then becomes edge: every page edge
		// touches is charged to the cgroup from its first instruction.
		script := fmt.Sprintf("echo $$ > %s && exec \"$0\" \"$@\"", cg.procs())
		m := measure(t, "/bin/sh", append([]string{"-c", script, bin}, r.args...), int64(*bigCapGB*1e9))
		usage, killed := cg.peak(), cg.oomKilled()
		cg.remove()
		outcome := "captioned"
		switch {
		case m.err != nil:
			outcome = "failed: " + m.err.Error()
		case m.capped:
			outcome = "stopped at the heap cap"
		}
		if r.refused {
			require.Error(t, m.err, "%s must be refused", r.name)
			msg := m.err.Error()
			require.Contains(t, msg, "over the memory budget of")
			require.Contains(t, msg, "cgroup memory", "the budget comes from the cgroup: %s", msg)
			require.Contains(t, msg, "--int8 needs")
			require.Less(t, m.wall, 5*time.Second, "refused before loading")
			outcome = "refused: " + msg[strings.Index(msg, "edge caption:")+len("edge caption: "):]
		} else {
			require.NoError(t, m.err, r.name)
			require.False(t, killed, "%s: the kernel killed a process in the cgroup", r.name)
		}
		gb := func(b int64) string { return fmt.Sprintf("%.2f GB", float64(b)/1e9) }
		table = append(table, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", r.name, outcome, gb(m.anon), gb(m.file), gb(usage), m.wall.Round(100*time.Millisecond)))
	}
	report := strings.Join(table, "\n") + "\n"
	fmt.Print("\n" + report)
	if *bigReport != "" {
		f, err := os.OpenFile(*bigReport, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.WriteString("\n" + report)
		require.NoError(t, errors.Join(err, f.Close()))
	}
}

// dropCached asks the kernel to drop the cached pages of dir's safetensors files.
func dropCached(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return err
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return fmt.Errorf("drop cached pages of %s: %w", name, err)
		}
	}
	return nil
}

// memoryCgroup is a cgroup made for the test with a memory limit, v1 or v2.
type memoryCgroup struct {
	dir string
	v2  bool
}

// newMemoryCgroup makes name at the root of the v1 memory hierarchy, or of the v2 one
// when it has the memory controller, and sets its limit.
func newMemoryCgroup(name string, limit int64) (*memoryCgroup, error) {
	var errs []error
	try := func(root string, v2 bool) (*memoryCgroup, error) {
		cg := &memoryCgroup{dir: filepath.Join(root, name), v2: v2}
		if err := os.Mkdir(cg.dir, 0o755); err != nil {
			return nil, err
		}
		file := "memory.limit_in_bytes"
		if v2 {
			file = "memory.max"
		}
		if err := os.WriteFile(filepath.Join(cg.dir, file), []byte(fmt.Sprint(limit)), 0o644); err != nil {
			cg.remove()
			return nil, err
		}
		return cg, nil
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		cg, err := try("/sys/fs/cgroup/memory", false)
		if err == nil {
			return cg, nil
		}
		errs = append(errs, fmt.Errorf("v1: %w", err))
	}
	for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		ctl, err := os.ReadFile(filepath.Join(root, "cgroup.subtree_control"))
		if err != nil || !strings.Contains(string(ctl), "memory") {
			continue
		}
		cg, err := try(root, true)
		if err == nil {
			return cg, nil
		}
		errs = append(errs, fmt.Errorf("v2 %s: %w", root, err))
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("neither a v1 memory hierarchy nor a v2 one with the memory controller"))
	}
	return nil, errors.Join(errs...)
}

func (c *memoryCgroup) procs() string { return filepath.Join(c.dir, "cgroup.procs") }

func (c *memoryCgroup) read(file string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, file))
	return strings.TrimSpace(string(b))
}

func (c *memoryCgroup) limit() int64 {
	file := "memory.limit_in_bytes"
	if c.v2 {
		file = "memory.max"
	}
	n, _ := strconv.ParseInt(c.read(file), 10, 64)
	return n
}

// peak is the most the cgroup was charged: anonymous memory and the page cache its
// processes read (pages already cached by others stay charged to them).
func (c *memoryCgroup) peak() int64 {
	file := "memory.max_usage_in_bytes"
	if c.v2 {
		file = "memory.peak"
	}
	n, _ := strconv.ParseInt(c.read(file), 10, 64)
	return n
}

// oomKilled reports whether the kernel killed a process of the cgroup for memory.
func (c *memoryCgroup) oomKilled() bool {
	file := "memory.oom_control"
	if c.v2 {
		file = "memory.events"
	}
	for _, line := range strings.Split(c.read(file), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "oom_kill" && f[1] != "0" {
			return true
		}
	}
	return false
}

// remove deletes the cgroup once its processes are gone (it empties when the last
// exits).
func (c *memoryCgroup) remove() {
	for range 50 {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
