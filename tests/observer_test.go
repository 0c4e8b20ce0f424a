package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// The payloads as docs/mqtt.md documents them. The tests decode into their own structs,
// not the product's, so a field renamed in the code but not in the docs shows.
type caption struct {
	Text      string             `json:"text"`
	TokenIDs  []int              `json:"token_ids"`
	Model     string             `json:"model"`
	Prompt    string             `json:"prompt"`
	FrameTime time.Time          `json:"frame_time"`
	Seq       uint64             `json:"seq"`
	LatencyMS map[string]float64 `json:"latency_ms"`
	Dropped   uint64             `json:"dropped"`
}

type answer struct {
	ID           string             `json:"id"`
	Question     string             `json:"question"`
	Text         string             `json:"text"`
	Session      string             `json:"session"`
	TrimmedTurns int                `json:"trimmed_turns"`
	Model        string             `json:"model"`
	FrameTime    time.Time          `json:"frame_time"`
	Seq          uint64             `json:"seq"`
	LatencyMS    map[string]float64 `json:"latency_ms"`
}

type status struct {
	State   string         `json:"state"`
	Model   string         `json:"model"`
	Version string         `json:"version"`
	Board   string         `json:"board"`
	Time    time.Time      `json:"time"`
	Stats   map[string]any `json:"stats"`
}

type errorMsg struct {
	ID      string `json:"id"`
	Error   string `json:"error"`
	Payload string `json:"payload"`
}

// message is one MQTT message the observer received.
type message struct {
	Topic    string
	Payload  []byte
	Retained bool
	At       time.Time
}

// observer is a plain paho client subscribed to some topics; it records what arrives.
type observer struct {
	t      *testing.T
	client paho.Client
	mu     sync.Mutex
	msgs   []message
	change chan struct{} // closed and replaced on every message
}

// observerOptions say how the observer connects.
type observerOptions struct {
	// clientID, when set with persistent, names a session the broker keeps while the
	// observer is away (clean session off), so nothing published meanwhile is missed.
	clientID   string
	persistent bool
	// connectFor is how long to keep trying the first connection (the broker may still
	// be starting); 0 tries once.
	connectFor time.Duration
}

// observe connects to broker and subscribes (QoS 1) to topics.
func observe(t *testing.T, broker string, o observerOptions, topics ...string) *observer {
	t.Helper()
	ob := &observer{t: t, change: make(chan struct{})}
	id := o.clientID
	if id == "" {
		id = fmt.Sprintf("observer-%d", time.Now().UnixNano())
	}
	type subscribeResult struct {
		ok  bool
		err error
	}
	subscribed := make(chan subscribeResult, 1)
	filters := map[string]byte{}
	for _, tp := range topics {
		filters[tp] = 1
	}
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(id).
		SetCleanSession(!o.persistent).
		SetAutoReconnect(true).SetMaxReconnectInterval(250 * time.Millisecond).
		SetConnectTimeout(2 * time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			// After every connect: a broker that lost our session lost the subscriptions.
			tok := c.SubscribeMultiple(filters, ob.record)
			ok := tok.WaitTimeout(5 * time.Second)
			select { // only the first result is awaited
			case subscribed <- subscribeResult{ok, tok.Error()}:
			default:
			}
		})
	ob.client = paho.NewClient(opts)
	deadline := time.Now().Add(o.connectFor)
	for {
		tok := ob.client.Connect()
		ok := tok.WaitTimeout(3 * time.Second)
		if ok && tok.Error() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("observer: connect to %s: %v (done %v)", broker, tok.Error(), ok)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// When observe returns, the subscriptions are in place.
	select {
	case r := <-subscribed:
		require.True(t, r.ok, "observer: subscribe %v: no reply", topics)
		require.NoError(t, r.err, "observer: subscribe %v", topics)
	case <-time.After(10 * time.Second):
		t.Fatalf("observer: subscribe %v: no result", topics)
	}
	t.Cleanup(ob.close)
	return ob
}

func (o *observer) close() { o.client.Disconnect(100) }

// record is paho's handler: it only stores (paho must not be blocked).
func (o *observer) record(_ paho.Client, m paho.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), At: time.Now()})
	close(o.change)
	o.change = make(chan struct{})
}

// on returns the messages received so far on topics ending with "/"+suffix.
func (o *observer) on(suffix string) []message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []message
	for _, m := range o.msgs {
		if strings.HasSuffix(m.Topic, "/"+suffix) {
			out = append(out, m)
		}
	}
	return out
}

// await waits up to limit for cond to hold on the messages of topics ending in suffix,
// and fails the test with what did arrive if it does not.
func (o *observer) await(suffix string, limit time.Duration, what string, cond func([]message) bool) []message {
	o.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		change := o.change
		o.mu.Unlock()
		msgs := o.on(suffix)
		if cond(msgs) {
			return msgs
		}
		select {
		case <-change:
		case <-deadline.C:
			var got []string
			for _, m := range msgs {
				got = append(got, string(m.Payload))
			}
			o.t.Fatalf("waited %v for %s on …/%s; got %d messages:\n%s", limit, what, suffix, len(msgs), strings.Join(got, "\n"))
			return nil
		}
	}
}

// publish sends a QoS 1 message and waits for the broker to take it.
func (o *observer) publish(topic string, retained bool, payload []byte) {
	o.t.Helper()
	tok := o.client.Publish(topic, 1, retained, payload)
	require.True(o.t, tok.WaitTimeout(10*time.Second), "publish to %s: no reply", topic)
	require.NoError(o.t, tok.Error(), "publish to %s", topic)
}

// awaitOnline waits for the device's retained status to say "online": from then on the
// device is subscribed to its ask and trigger topics.
func (o *observer) awaitOnline(limit time.Duration) status {
	o.t.Helper()
	var st status
	o.await("status", limit, `status "online"`, func(ms []message) bool {
		for _, m := range ms {
			if json.Unmarshal(m.Payload, &st) == nil && st.State == "online" {
				return true
			}
		}
		return false
	})
	return st
}

func decodeAll[T any](t *testing.T, msgs []message) []T {
	t.Helper()
	out := make([]T, len(msgs))
	for i, m := range msgs {
		require.NoError(t, json.Unmarshal(m.Payload, &out[i]), "decode %s: %s", m.Topic, m.Payload)
	}
	return out
}

// atLeast is an await condition: n messages or more.
func atLeast(n int) func([]message) bool {
	return func(ms []message) bool { return len(ms) >= n }
}
