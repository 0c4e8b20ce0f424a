package tests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// edgeProc is one run of the edge binary.
type edgeProc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when the process has exited
	code           int           // exit code, valid once done is closed (-1: killed by a signal)
}

// startEdge runs `edge args...` in a clean environment: no EDGE_* variables from the
// caller leak into the configuration. It is killed at the end of the test if it still
// runs, and its output is logged when the test failed.
func startEdge(t *testing.T, dir string, args ...string) *edgeProc {
	t.Helper()
	p := &edgeProc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(edgeBinary(), args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Env = cleanEnv()
	require.NoError(t, p.cmd.Start(), "start edge %v", args)
	go func() {
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
			p.code = 0
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("edge %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// cleanEnv is this process's environment without the EDGE_* settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EDGE_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *edgeProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits up to limit for the process to exit and returns its exit code and how long
// it took; it fails the test when the process is still running then.
func (p *edgeProc) wait(limit time.Duration) (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	select {
	case <-p.done:
		return p.code, time.Since(start)
	case <-time.After(limit):
		p.t.Fatalf("edge still running %v later", limit)
		return 0, 0
	}
}

func (p *edgeProc) signal(sig os.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig), "signal edge")
}

// cpuTime is the CPU time the process has used, user and system, from /proc/<pid>/stat.
func (p *edgeProc) cpuTime() time.Duration {
	p.t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	require.NoError(p.t, err)
	// The command name (field 2) may hold spaces; the fields after it are plain.
	rest := string(data[bytes.LastIndexByte(data, ')')+1:])
	f := strings.Fields(rest)
	require.Greater(p.t, len(f), 13, "short /proc stat: %q", data)
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14 of the whole line
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	require.NoError(p.t, errors.Join(err1, err2))
	// USER_HZ is 100 on every Linux port Go supports for this project (amd64, arm64).
	return time.Duration(utime+stime) * (time.Second / 100)
}

// requireCleanStderr checks that the output has no crash in it.
func requireCleanStderr(t *testing.T, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "fatal error:", "DATA RACE", "SIGSEGV"} {
		require.NotContains(t, stderr, bad, "edge's stderr shows a crash")
	}
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
