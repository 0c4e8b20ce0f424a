package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// link tracks whether the connection is up; upChan is closed while it is.
type link struct {
	mu sync.Mutex
	up chan struct{}
	on bool
}

func newLink() link { return link{up: make(chan struct{})} }

func (l *link) setUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		l.on = true
		close(l.up)
	}
}

func (l *link) setDown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		l.on = false
		l.up = make(chan struct{})
	}
}

func (l *link) upChan() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

func (l *link) isUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.on
}

// supervise connects, subscribes, waits for the connection to drop and
// connects again, waiting ReconnectMin, doubling up to ReconnectMax, between
// attempts.
func (c *Client) supervise(ctx context.Context) {
	defer c.loops.Done()
	delay := c.cfg.ReconnectMin
	for attempt, connections := 1, 0; ; attempt++ {
		select { // a signal left from an earlier connection means nothing now
		case <-c.lost:
		default:
		}
		err := c.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.setLastErr(err)
			c.log.Warn("mqtt connect failed", "broker", c.broker, "attempt", attempt, "retry_in", delay, "err", err)
		} else {
			if connections > 0 {
				c.reconnects.Add(1)
			}
			connections++
			c.log.Info("mqtt connected", "broker", c.broker, "attempt", attempt)
			attempt = 0
			c.announce()
			c.link.setUp()
			since := time.Now()
			c.waitLost(ctx)
			c.link.setDown()
			if ctx.Err() != nil {
				return
			}
			// Start again from the shortest wait unless the link flaps.
			if time.Since(since) > c.cfg.ReconnectMax {
				delay = c.cfg.ReconnectMin
			}
			c.log.Warn("mqtt connection lost", "broker", c.broker, "retry_in", delay, "err", c.lastError())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, c.cfg.ReconnectMax)
	}
}

// connect makes one connection attempt and subscribes to the ask topic.
func (c *Client) connect(ctx context.Context) error {
	// paho bounds the attempt by ConnectTimeout; the extra second only
	// guards against a token that never completes.
	if err := waitToken(ctx, c.pc.Connect(), c.cfg.ConnectTimeout+time.Second); err != nil {
		c.pc.Disconnect(0) // abandon a half-made connection
		return fmt.Errorf("connect to %s: %w", c.broker, err)
	}
	tok := c.pc.Subscribe(c.topics.Ask, byte(c.cfg.QoS), c.onAsk)
	err := waitToken(ctx, tok, c.cfg.PublishTimeout)
	if err == nil {
		if code, ok := tok.(*paho.SubscribeToken).Result()[c.topics.Ask]; ok && code >= 0x80 {
			err = errors.New("refused by the broker")
		}
	}
	if err != nil {
		c.pc.Disconnect(250)
		return fmt.Errorf("subscribe to %s on %s: %w", c.topics.Ask, c.broker, err)
	}
	if err := waitToken(ctx, c.pc.Subscribe(c.topics.Trigger, byte(c.cfg.QoS), c.onTrigger), c.cfg.PublishTimeout); err != nil {
		c.pc.Disconnect(250)
		return fmt.Errorf("subscribe to %s on %s: %w", c.topics.Trigger, c.broker, err)
	}
	return nil
}

// onTrigger is paho's handler for the trigger topic: it never blocks, and a trigger
// that finds one already pending is merged into it. Retained triggers are ignored, as
// they would fire again after every reconnect.
func (c *Client) onTrigger(_ paho.Client, msg paho.Message) {
	if msg.Retained() {
		return
	}
	select {
	case c.triggers <- struct{}{}:
	default:
	}
}

// waitLost returns when the connection is gone or ctx ends.
func (c *Client) waitLost(ctx context.Context) {
	// The poll is a second guard beside paho's lost callback.
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.lost:
		case <-poll.C:
		}
		if !c.pc.IsConnectionOpen() {
			return
		}
	}
}

// announce puts the latest status before the backlog: the broker may have
// published the last will ("offline") while the client was away.
func (c *Client) announce() {
	c.statusMu.Lock()
	defer c.statusMu.Unlock()
	s := c.lastStatus
	s.Time = time.Now()
	if b, err := json.Marshal(s); err == nil {
		c.q.pushFront(outMsg{topic: c.topics.Status, retained: true, payload: b})
	}
}

// drain is the one goroutine that publishes: it takes the oldest message
// while the connection is up and puts it back if the publish fails.
func (c *Client) drain(ctx context.Context) {
	defer c.loops.Done()
	for {
		changed, pending := c.q.watch()
		if pending == 0 {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-c.link.upChan():
		case <-ctx.Done():
			return
		}
		m, reported, ok := c.q.take()
		if !ok {
			continue
		}
		err := c.send(ctx, m, reported)
		c.q.finish(m, reported, err == nil)
		if err == nil {
			continue
		}
		if ctx.Err() == nil { // a warning: it held every message behind it
			c.log.Warn("mqtt publish failed, will retry", "topic", m.topic, "err", err)
		}
		select { // the link is usually down now; do not spin while it goes
		case <-ctx.Done():
			return
		case <-time.After(min(c.cfg.ReconnectMin, 100*time.Millisecond)):
		}
	}
}

func (c *Client) send(ctx context.Context, m outMsg, reported uint64) error {
	payload := m.payload
	if m.caption != nil && reported > 0 {
		v := *m.caption
		v.Dropped += reported
		if b, err := json.Marshal(v); err == nil { // encoded once already
			payload = b
		}
	}
	tok := c.pc.Publish(m.topic, byte(c.cfg.QoS), m.retained, payload)
	if err := waitToken(ctx, tok, c.cfg.PublishTimeout); err != nil {
		return fmt.Errorf("publish to %s: %w", m.topic, err)
	}
	return nil
}

// onAsk is paho's handler for the ask topic. It must not block: it parses,
// then hands the ask on or queues an error reply.
func (c *Client) onAsk(_ paho.Client, msg paho.Message) {
	payload := msg.Payload()
	var ask Ask
	var err error
	if msg.Retained() {
		// A retained ask would be answered again after every reconnect.
		err = fmt.Errorf("%w: publish asks without the retain flag", ErrAskRetained)
		ask, _ = ParseAsk(payload)
	} else {
		ask, err = ParseAsk(payload)
	}
	if err != nil {
		c.malformed.Add(1)
		c.log.Debug("mqtt ask refused", "err", err)
		_ = c.PublishError(errorFor(ask.ID, err, payload))
		return
	}
	asker := ask.Client
	if asker == "" {
		asker = ask.Session
	}
	if ok, limit := c.limiter.allow(asker, time.Now()); !ok {
		c.asksLimited.Add(1)
		err := fmt.Errorf("busy: too many asks (%s rate limit), ask %q refused", limit, ask.ID)
		_ = c.PublishError(errorFor(ask.ID, err, payload))
		return
	}
	c.asksMu.RLock()
	defer c.asksMu.RUnlock()
	if c.asksClosed {
		return
	}
	select {
	case c.asks <- ask:
	default:
		c.asksDropped.Add(1)
		err := fmt.Errorf("busy: %d asks are waiting, ask %q refused", cap(c.asks), ask.ID)
		_ = c.PublishError(errorFor(ask.ID, err, payload))
	}
}

func (c *Client) lastError() error {
	if p := c.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// waitToken waits for a paho token, at most timeout, and less if ctx ends.
func waitToken(ctx context.Context, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-t.C:
		return fmt.Errorf("no reply within %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
