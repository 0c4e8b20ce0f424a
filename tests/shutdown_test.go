package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/shapes"
)

// SIGTERM during a run, between captions and in the middle of one: edge exits 0 within
// 5 s, without a stack trace or a warning, and the retained status it leaves is its own
// "offline" (with a time and a model, unlike the broker's last will). With the broker
// gone, it waits its close timeout (5 s) for it and then says what was not delivered.
func TestSIGTERM(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		brokerDown bool
	}{
		{"between captions", []string{"--mode", "interval", "--interval", "2s"}, false},
		{"while captioning", []string{"--mode", "continuous"}, false},
		{"broker down", []string{"--mode", "interval", "--interval", "500ms"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img := writePNG(t, dir, oneShape())
			b := startMosquitto(t, false)
			obs := observe(t, b.url(), observerOptions{}, "edge/cam1/caption", "edge/cam1/status")
			args := runArgs(b.url(), "cam1", append([]string{"--camera", img, "--on-end", "loop", "--max-fps", "5"}, tc.args...)...)
			p := startEdge(t, dir, args...)
			obs.await("caption", 60*time.Second, "a caption", atLeast(1))
			limit := 5 * time.Second
			if tc.brokerDown {
				b.kill()
				time.Sleep(time.Second) // captions queue up for a broker that is gone
				limit += 3 * time.Second
			}
			time.Sleep(300 * time.Millisecond) // continuous mode: inside the next caption now
			p.signal(syscall.SIGTERM)
			code, took := p.wait(limit)
			t.Logf("exit %d, %v after SIGTERM", code, took.Round(time.Millisecond))
			stderr := p.stderr.String()
			require.Equal(t, 0, code, "stderr: %s", stderr)
			requireCleanStderr(t, stderr)
			require.NotContains(t, stderr, "interrupted", "a requested stop is not a failure")
			if tc.brokerDown {
				require.Contains(t, stderr, "not delivered", "messages lost at the end are reported")
				return
			}
			require.NotContains(t, stderr, "level=WARN")

			st := retainedStatus(t, b.url(), "edge/cam1/status")
			require.Equal(t, "offline", st.State)
			require.False(t, st.Time.IsZero(), "the device's own offline status has a time; the last will has none")
			require.Equal(t, shapes.Name, st.Model)
		})
	}
}

// retainedStatus subscribes afresh and returns the retained status on topic.
func retainedStatus(t *testing.T, broker, topic string) status {
	t.Helper()
	o := observe(t, broker, observerOptions{}, topic)
	msgs := o.await("status", 5*time.Second, "the retained status", atLeast(1))
	require.True(t, msgs[0].Retained, "a fresh subscriber gets the status as a retained message")
	var st status
	require.NoError(t, json.Unmarshal(msgs[0].Payload, &st))
	o.close()
	return st
}

// Bad configuration is refused before anything starts: a non-zero exit and one line on
// stderr that names the field, no stack trace, no help page.
func TestBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	unknownKey := write("unknown.yaml", "camera:\n  source: synthetic\n  colour: red\n")
	badMode := write("mode.yaml", "schedule:\n  mode: sometimes\n")
	for _, tc := range []struct {
		name  string
		args  []string
		names []string // what the error line must mention
	}{
		{"mode flag", []string{"--mode", "sometimes"}, []string{"schedule.mode", "sometimes"}},
		{"unknown YAML key", []string{"--config", unknownKey}, []string{"colour", unknownKey}},
		{"mode in YAML", []string{"--config", badMode}, []string{"schedule.mode", "sometimes"}},
		{"on-end flag", []string{"--on-end", "never"}, []string{"camera.on_end", "never"}},
		{"broker scheme", []string{"--broker", "ftp://127.0.0.1:1"}, []string{"Broker", "ftp"}},
		{"missing config file", []string{"--config", filepath.Join(dir, "absent.yaml")}, []string{"absent.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(edgeBinary(), append([]string{"run"}, tc.args...)...)
			cmd.Dir, cmd.Env = dir, cleanEnv()
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			require.NoError(t, cmd.Start())
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var exit *exec.ExitError
				require.ErrorAs(t, err, &exit, "edge run %v must fail", tc.args)
				require.NotZero(t, exit.ExitCode())
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("edge run %v still running: a bad configuration must stop it at once", tc.args)
			}
			msg := strings.TrimSpace(stderr.String())
			t.Logf("stderr: %s", msg)
			require.NotContains(t, msg, "\n", "one line")
			for _, n := range tc.names {
				require.Contains(t, msg, n)
			}
			requireCleanStderr(t, msg)
			require.Empty(t, stdout.String(), "no help page")
		})
	}
}

// A device that dies without a goodbye (SIGKILL) leaves the broker's last will as its
// retained status: exactly {"state":"offline"}, with no time.
func TestKilledDeviceLeavesWill(t *testing.T) {
	dir := t.TempDir()
	img := writePNG(t, dir, oneShape())
	b := startMosquitto(t, false)
	obs := observe(t, b.url(), observerOptions{}, "edge/cam1/status")
	p := startEdge(t, dir, runArgs(b.url(), "cam1", "--camera", img, "--on-end", "loop", "--max-fps", "5", "--mode", "trigger")...)
	obs.awaitOnline(60 * time.Second)
	p.signal(syscall.SIGKILL)
	p.wait(5 * time.Second)
	msgs := obs.await("status", 5*time.Second, "the last will", func(ms []message) bool {
		return len(ms) > 0 && strings.Contains(string(ms[len(ms)-1].Payload), "offline")
	})
	require.JSONEq(t, `{"state":"offline"}`, string(msgs[len(msgs)-1].Payload))
	st := retainedStatus(t, b.url(), "edge/cam1/status")
	require.Equal(t, "offline", st.State)
	require.True(t, st.Time.IsZero(), "the will, not a status the device published")
}
