package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

const mosquittoBin = "/usr/sbin/mosquitto"

// testConfig has short timers so that reconnects happen within a test.
func testConfig(broker string) Config {
	return Config{
		Broker:         broker,
		DeviceID:       "dev1",
		ClientID:       "edge-under-test",
		KeepAlive:      10 * time.Second,
		ConnectTimeout: 2 * time.Second,
		ReconnectMin:   50 * time.Millisecond,
		ReconnectMax:   300 * time.Millisecond,
		PublishTimeout: 2 * time.Second,
		CloseTimeout:   2 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// newTestClient starts a client and waits for its connection.
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.AwaitConnection(ctx))
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mosquitto is a real broker run by a test on 127.0.0.1:port.
type mosquitto struct {
	t    *testing.T
	conf string
	port int
	cmd  *exec.Cmd
	out  *lockedBuffer
}

// startMosquitto writes a config (listener, plus extra lines) and starts the
// broker; the test is skipped when mosquitto is not installed.
func startMosquitto(t *testing.T, extra string) *mosquitto {
	t.Helper()
	if _, err := os.Stat(mosquittoBin); err != nil {
		t.Skipf("mosquitto not installed (%s: %v); apt-get install mosquitto", mosquittoBin, err)
	}
	port := freePort(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\n", port)
	if extra != "" {
		conf = fmt.Sprintf("listener %d 127.0.0.1\n%s\n", port, extra)
	}
	if u, err := user.Current(); err == nil {
		// As root, mosquitto would switch to its own user, which cannot
		// read the test's temporary files.
		conf += "user " + u.Username + "\n"
	}
	path := filepath.Join(t.TempDir(), "mosquitto.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	m := &mosquitto{t: t, conf: path, port: port, out: new(lockedBuffer)}
	m.start()
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			t.Logf("mosquitto output:\n%s", m.out.String())
		}
	})
	return m
}

func (m *mosquitto) url() string { return "tcp://" + m.addr() }

func (m *mosquitto) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

func (m *mosquitto) start() {
	m.t.Helper()
	m.cmd = exec.Command(mosquittoBin, "-c", m.conf)
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	require.NoError(m.t, m.cmd.Start())
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", m.addr(), 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mosquitto did not listen on %s: %v\n%s", m.addr(), err, m.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the broker with SIGKILL: no goodbye to its clients.
func (m *mosquitto) kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

// received is one message seen by an observer.
type received struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// observer is a plain paho client that records what a topic filter carries.
type observer struct {
	pc   paho.Client
	msgs chan received
}

func newObserver(t *testing.T, broker, id, filter string, opts ...func(*paho.ClientOptions)) *observer {
	t.Helper()
	o := &observer{msgs: make(chan received, 4096)}
	po := paho.NewClientOptions().AddBroker(broker).SetClientID(id).
		SetConnectTimeout(2 * time.Second).SetAutoReconnect(false)
	for _, f := range opts {
		f(po)
	}
	o.pc = paho.NewClient(po)
	tok := o.pc.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "observer connect timed out")
	require.NoError(t, tok.Error())
	tok = o.pc.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		o.msgs <- received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained()}
	})
	require.True(t, tok.WaitTimeout(5*time.Second), "observer subscribe timed out")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { o.pc.Disconnect(100) })
	return o
}

// next returns the next message on topic, skipping others.
func (o *observer) next(t *testing.T, topic string) received {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-o.msgs:
			if m.Topic == topic {
				return m
			}
		case <-timeout:
			t.Fatalf("no message on %s within 5s", topic)
		}
	}
}

// nextStatus returns the next status with the given state.
func (o *observer) nextStatus(t *testing.T, topic, state string) (Status, received) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m := o.next(t, topic)
		var s Status
		require.NoError(t, json.Unmarshal(m.Payload, &s), "status payload %s", m.Payload)
		if s.State == state {
			return s, m
		}
	}
	t.Fatalf("no status %q on %s within 5s", state, topic)
	return Status{}, received{}
}

func (o *observer) publish(t *testing.T, topic string, retained bool, payload []byte) {
	t.Helper()
	tok := o.pc.Publish(topic, 1, retained, payload)
	require.True(t, tok.WaitTimeout(5*time.Second), "publish to %s timed out", topic)
	require.NoError(t, tok.Error())
}

// tcpProxy forwards connections to a broker and can cut them, which is what
// a dying network does to a client: no DISCONNECT reaches the broker.
type tcpProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	refuse bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut(true)
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) url() string { return "tcp://" + p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			_ = in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// cut closes every forwarded connection; with refuse, new ones are closed
// at once until cut(false) is called.
func (p *tcpProxy) cut(refuse bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = refuse
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *tcpProxy) allow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = false
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 10*time.Millisecond, what)
}
