package mqtt

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is an embedded MQTT broker (mochi-mqtt) with one plain TCP
// listener that lets every client in: for a single device or a test, not
// for a network others share.
type Broker struct {
	srv       *mochi.Server
	addr      string
	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// StartEmbedded starts a broker listening on addr ("127.0.0.1:1883" when
// empty; port 0 picks a free port, which Addr reports). It stops when ctx
// ends or Close is called.
func StartEmbedded(ctx context.Context, addr string) (*Broker, error) {
	if addr == "" {
		addr = DefaultEmbeddedAddr
	}
	srv := mochi.New(&mochi.Options{
		InlineClient: false,
		// Errors only: mochi logs every connection at Info, and every
		// connection it closes at shutdown as a warning.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		return nil, fmt.Errorf("mqtt: embedded broker: add allow-all hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil { // binds the port
		return nil, fmt.Errorf("mqtt: embedded broker: listen on %s: %w", addr, err)
	}
	b := &Broker{srv: srv, addr: tcp.Address(), done: make(chan struct{})}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("mqtt: embedded broker on %s: %w", b.addr, err)
	}
	go func() { // owned by the broker: ends with ctx or Close
		select {
		case <-ctx.Done():
			_ = b.Close()
		case <-b.done:
		}
	}()
	return b, nil
}

// Addr returns the address the broker listens on, with the real port.
func (b *Broker) Addr() string { return b.addr }

// URL returns the address as a broker URL for Config.Broker.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Done is closed when the broker has stopped.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Close disconnects every client and stops the broker. It is safe to call
// more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.closeErr = b.srv.Close()
		close(b.done)
	})
	<-b.done
	return b.closeErr
}

// allowAll lets every client connect and use every topic. (mochi's own
// hooks/auth package would pull in a YAML module this project does not pin.)
type allowAll struct {
	mochi.HookBase
}

func (h *allowAll) ID() string { return "allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck}, []byte{b})
}

func (h *allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mochi.Client, string, bool) bool { return true }
