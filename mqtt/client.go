package mqtt

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// ErrClosed is returned by Publish* after Close.
var ErrClosed = errors.New("mqtt client closed")

// Stats counts what the client did. Enqueued == Published + Dropped + Queued.
type Stats struct {
	Enqueued    uint64 // messages accepted for publishing, the client's own included
	Published   uint64 // acknowledged by the broker
	Dropped     uint64 // dropped from the full queue, or left over at Close
	Queued      int    // waiting now, the one being sent included
	Malformed   uint64 // asks refused (each answered on the error topic)
	AsksDropped uint64 // valid asks refused because Asks() was not read
	AsksLimited uint64 // valid asks refused by the rate limits (AskLimits)
	Reconnects  uint64 // successful connections after the first
	Connected   bool
}

// Client publishes to and receives asks from one broker. Create it with New,
// stop it with Close or by cancelling New's context.
type Client struct {
	cfg    Config
	topics Topics
	broker string // the URL connected to
	log    *slog.Logger
	pc     paho.Client
	q      *queue
	link   link
	lost   chan struct{} // connection-lost signals from paho
	asks   chan Ask
	// triggers holds at most one pending "describe now" request from the trigger topic.
	triggers chan struct{}

	asksMu     sync.RWMutex // guards closing asks against the paho handler
	asksClosed bool

	statusMu   sync.Mutex
	lastStatus Status // re-announced after every connect

	malformed, asksDropped, reconnects atomic.Uint64
	asksLimited                        atomic.Uint64
	limiter                            *askLimiter
	lastErr                            atomic.Pointer[error]

	embedded  *Broker            // started by New when Config.Broker is empty
	stop      context.CancelFunc // stops the loops
	loops     sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	closing   chan struct{} // closed when Close starts
	done      chan struct{} // closed when Close has finished
}

// New validates cfg, starts the embedded broker if cfg.Broker is empty, and
// starts connecting. It does not wait for the connection: messages queue
// until it is up (see AwaitConnection). Cancelling ctx closes the client.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:        cfg,
		topics:     cfg.Topics(),
		broker:     cfg.Broker,
		log:        cfg.Logger.With("component", "mqtt", "client_id", cfg.ClientID),
		q:          newQueue(cfg.QueueSize),
		link:       newLink(),
		lost:       make(chan struct{}, 1),
		asks:       make(chan Ask, cfg.AskQueueSize),
		limiter:    newAskLimiter(cfg.AskLimits),
		triggers:   make(chan struct{}, 1),
		lastStatus: Status{State: StateOnline},
		closing:    make(chan struct{}),
		done:       make(chan struct{}),
	}
	tlsCfg, err := clientTLS(cfg.Broker, cfg.TLS)
	if err != nil {
		return nil, err
	}
	if cfg.Broker == "" {
		// Not tied to ctx: Close stops it after the "offline" status is out.
		b, err := StartEmbedded(context.Background(), cfg.EmbeddedAddr)
		if err != nil {
			return nil, fmt.Errorf("mqtt: no Broker configured and the embedded one failed: %w", err)
		}
		c.embedded = b
		c.broker = b.URL()
	}
	c.pc = paho.NewClient(c.pahoOptions(tlsCfg))

	loopCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.loops.Add(2)
	go c.supervise(loopCtx)
	go c.drain(loopCtx)
	go func() { // owned by the client: ends when ctx ends or Close starts
		select {
		case <-ctx.Done():
			_ = c.Close()
		case <-c.closing:
		}
	}()
	return c, nil
}

func (c *Client) pahoOptions(tlsCfg *tls.Config) *paho.ClientOptions {
	will, _ := json.Marshal(Status{State: StateOffline})
	o := paho.NewClientOptions().
		AddBroker(c.broker).
		SetClientID(c.cfg.ClientID).
		SetUsername(c.cfg.Username).
		SetPassword(c.cfg.Password).
		SetCleanSession(true).
		SetKeepAlive(c.cfg.KeepAlive).
		SetPingTimeout(min(c.cfg.KeepAlive, 10*time.Second)).
		SetConnectTimeout(c.cfg.ConnectTimeout).
		SetWriteTimeout(c.cfg.PublishTimeout).
		// The client runs its own reconnect loop (supervise) so that the
		// backoff follows ReconnectMin/Max and no message hides in paho's
		// store while the broker is away.
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetBinaryWill(c.topics.Status, will, byte(c.cfg.QoS), true).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.setLastErr(err)
			select { // never block paho: one pending signal is enough
			case c.lost <- struct{}{}:
			default:
			}
		})
	if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	return o
}

// Topics returns the topics the client uses.
func (c *Client) Topics() Topics { return c.topics }

// Broker returns the broker URL the client connects to (the embedded
// broker's when Config.Broker is empty).
func (c *Client) Broker() string { return c.broker }

// PublishCaption queues a caption; it returns at once.
func (c *Client) PublishCaption(v Caption) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mqtt: encode caption seq %d: %w", v.Seq, err)
	}
	return c.enqueue(outMsg{topic: c.topics.Caption, payload: b, caption: &v})
}

// PublishAnswer queues an answer; it returns at once.
func (c *Client) PublishAnswer(v Answer) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mqtt: encode answer to ask %q: %w", v.ID, err)
	}
	return c.enqueue(outMsg{topic: c.topics.Answer, payload: b, reply: true})
}

// PublishStatus queues a retained status; it returns at once. The latest
// status is published again after every reconnect.
func (c *Client) PublishStatus(v Status) error {
	if !validState(v.State) {
		return fmt.Errorf("mqtt: status state %q: want online, offline, working, error or loading", v.State)
	}
	if v.Time.IsZero() {
		v.Time = time.Now()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mqtt: encode status %q: %w", v.State, err)
	}
	c.statusMu.Lock()
	defer c.statusMu.Unlock()
	if err := c.enqueue(outMsg{topic: c.topics.Status, retained: true, payload: b}); err != nil {
		return err
	}
	c.lastStatus = v
	return nil
}

// PublishError queues an error report; it returns at once. Payload is cut
// to ErrorPayloadBytes.
func (c *Client) PublishError(v Error) error {
	v.Payload = headOf([]byte(v.Payload), ErrorPayloadBytes)
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mqtt: encode error for %q: %w", v.ID, err)
	}
	return c.enqueue(outMsg{topic: c.topics.Error, payload: b, reply: true})
}

func (c *Client) enqueue(m outMsg) error {
	if !c.q.push(m) {
		return ErrClosed
	}
	return nil
}

// Asks delivers valid asks. It is closed when the client has stopped.
func (c *Client) Asks() <-chan Ask { return c.asks }

// Triggers delivers "describe now" requests published on the trigger topic (any
// payload). Requests that arrive while one is pending are merged into it.
func (c *Client) Triggers() <-chan struct{} { return c.triggers }

// Done is closed when the client has stopped.
func (c *Client) Done() <-chan struct{} { return c.done }

// Stats returns the counters.
func (c *Client) Stats() Stats {
	enq, pub, drop, pending := c.q.counts()
	return Stats{
		Enqueued:    enq,
		Published:   pub,
		Dropped:     drop,
		Queued:      pending,
		Malformed:   c.malformed.Load(),
		AsksDropped: c.asksDropped.Load(),
		AsksLimited: c.asksLimited.Load(),
		Reconnects:  c.reconnects.Load(),
		Connected:   c.link.isUp(),
	}
}

// AwaitConnection waits until the client is connected and subscribed, or
// ctx ends; then the error names the last connection failure.
func (c *Client) AwaitConnection(ctx context.Context) error {
	select {
	case <-c.link.upChan():
		return nil
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		if last := c.lastErr.Load(); last != nil {
			return fmt.Errorf("mqtt: connect to %s: %w (last attempt: %w)", c.broker, ctx.Err(), *last)
		}
		return fmt.Errorf("mqtt: connect to %s: %w", c.broker, ctx.Err())
	}
}

// Close publishes the "offline" status, waits up to CloseTimeout for the
// queue to drain, disconnects and stops the embedded broker if New started
// one. Messages still queued then are counted as dropped and reported in
// the error. Close is safe to call more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		c.closeErr = c.shutdown()
		close(c.done)
	})
	<-c.done
	return c.closeErr
}

func (c *Client) shutdown() error {
	c.statusMu.Lock()
	offline := c.lastStatus
	offline.State, offline.Time, offline.Stats = StateOffline, time.Now(), nil
	b, err := json.Marshal(offline)
	if err != nil { // cannot happen: Stats, the only free-form field, is cleared
		b = []byte(`{"state":"offline"}`)
	}
	c.q.pushLast(outMsg{topic: c.topics.Status, retained: true, payload: b})
	c.statusMu.Unlock()
	drained := c.waitDrained(c.cfg.CloseTimeout)

	c.stop()
	c.loops.Wait()
	c.pc.Disconnect(250) // ms; a clean DISCONNECT also discards the last will
	c.link.setDown()
	left := c.q.abandon()

	c.asksMu.Lock()
	c.asksClosed = true
	close(c.asks)
	c.asksMu.Unlock()

	var errs []error
	if !drained && left > 0 {
		errs = append(errs, fmt.Errorf("mqtt: close: %d messages not delivered to %s within %v, counted as dropped", left, c.broker, c.cfg.CloseTimeout))
	}
	if c.embedded != nil {
		errs = append(errs, c.embedded.Close())
	}
	return errors.Join(errs...)
}

// waitDrained waits until nothing is queued or in flight.
func (c *Client) waitDrained(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed, pending := c.q.watch()
		if pending == 0 {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

func (c *Client) setLastErr(err error) {
	if err != nil {
		c.lastErr.Store(&err)
	}
}
