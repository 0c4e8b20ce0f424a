package tests

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const mosquittoPath = "/usr/sbin/mosquitto"

// mosquitto is a real broker on 127.0.0.1 with its own config file, started by a test.
type mosquitto struct {
	t    *testing.T
	port int
	conf string
	log  *syncBuffer
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
}

// startMosquitto starts a broker on a free port. With persistent set it saves its
// sessions every second, so a persistent subscriber's session and the messages queued
// for it outlive a SIGKILL. The test is skipped when mosquitto is not installed.
func startMosquitto(t *testing.T, persistent bool) *mosquitto {
	t.Helper()
	if _, err := os.Stat(mosquittoPath); err != nil {
		t.Skipf("needs the mosquitto broker at %s (apt-get install mosquitto): %v", mosquittoPath, err)
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n", port)
	if persistent {
		conf += fmt.Sprintf("persistence true\npersistence_location %s/\nautosave_interval 1\n", dir)
	}
	if os.Geteuid() == 0 {
		// As root mosquitto switches to its own user, which cannot write the test's folder.
		conf += "user root\n"
	}
	path := filepath.Join(dir, "mosquitto.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	m := &mosquitto{t: t, port: port, conf: path, log: &syncBuffer{}}
	m.start()
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.log.String())
		}
	})
	return m
}

func (m *mosquitto) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

func (m *mosquitto) url() string { return "tcp://" + m.addr() }

// start runs the broker and waits until it accepts connections.
func (m *mosquitto) start() {
	m.t.Helper()
	m.cmd = exec.Command(mosquittoPath, "-c", m.conf)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	require.NoError(m.t, m.cmd.Start(), "start %s", mosquittoPath)
	done := make(chan struct{})
	m.done = done
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(done) }(m.cmd)
	waitListening(m.t, m.addr(), done, 5*time.Second)
}

// kill ends the broker with SIGKILL, as a crash or power cut would: no clean goodbye to
// its clients, no last save.
func (m *mosquitto) kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
	m.cmd = nil
}

// restart starts the broker again on the same port, with the same config.
func (m *mosquitto) restart() {
	m.t.Helper()
	m.kill()
	m.start()
}

// waitListening waits until addr accepts TCP connections, failing the test if exited
// closes first or the time runs out.
func waitListening(t *testing.T, addr string, exited <-chan struct{}, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the process meant to listen on %s exited: %v", addr, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after %v: %v", addr, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort asks the kernel for a port nobody uses now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}
