package mqtt

import (
	"context"
	"encoding/json"
	paho "github.com/eclipse/paho.mqtt.golang"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/stretchr/testify/require"
)

// roundTrip publishes a caption that obs must receive, and an ask that c
// must deliver.
func roundTrip(t *testing.T, c *Client, obs *observer) {
	t.Helper()
	topics := c.Topics()
	require.NoError(t, c.PublishCaption(sampleCaption(3)))
	var got Caption
	require.NoError(t, json.Unmarshal(obs.next(t, topics.Caption).Payload, &got))
	require.Equal(t, sampleCaption(3), got)

	obs.publish(t, topics.Ask, false, []byte(`{"id":"e1","question":"what color is the background?"}`))
	select {
	case a := <-c.Asks():
		require.Equal(t, Ask{ID: "e1", Question: "what color is the background?"}, a)
	case <-time.After(5 * time.Second):
		t.Fatal("ask not delivered by the embedded broker")
	}
	obs.publish(t, topics.Ask, false, []byte(`{"id":"e2"}`))
	var e Error
	require.NoError(t, json.Unmarshal(obs.next(t, topics.Error).Payload, &e))
	require.Equal(t, "e2", e.ID)
}

func TestEmbeddedBroker(t *testing.T) {
	b, err := StartEmbedded(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	_, port, err := net.SplitHostPort(b.Addr())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.NotZero(t, p, "port 0 must be replaced by the real one")

	cfg := testConfig(b.URL())
	obs := newObserver(t, b.URL(), "observer", "edge/dev1/#")
	c := newTestClient(t, cfg)
	obs.nextStatus(t, c.Topics().Status, StateOnline)
	roundTrip(t, c, obs)
	require.NoError(t, c.Close())
	obs.nextStatus(t, c.Topics().Status, StateOffline)

	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close twice")
	_, err = net.DialTimeout("tcp", b.Addr(), time.Second)
	require.Error(t, err, "the listener is closed")
}

// TestNewStartsEmbeddedBroker: with no Broker configured the client brings
// its own, and stops it on Close.
func TestNewStartsEmbeddedBroker(t *testing.T) {
	cfg := testConfig("")
	cfg.EmbeddedAddr = "127.0.0.1:0"
	c := newTestClient(t, cfg)
	require.Regexp(t, `^tcp://127\.0\.0\.1:[1-9][0-9]*$`, c.Broker())
	obs := newObserver(t, c.Broker(), "observer", "edge/dev1/#")
	roundTrip(t, c, obs)
	require.NoError(t, c.Close())
	_, err := net.DialTimeout("tcp", c.Broker()[len("tcp://"):], time.Second)
	require.Error(t, err, "the embedded broker stops with the client")
}

func TestEmbeddedBrokerPortInUse(t *testing.T) {
	b, err := StartEmbedded(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	_, err = StartEmbedded(context.Background(), b.Addr())
	require.ErrorContains(t, err, b.Addr())
}

func TestEmbeddedBrokerStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b, err := StartEmbedded(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	cancel()
	select {
	case <-b.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("broker did not stop with its context")
	}
}

// TestWebSocket runs the round trip over ws:// to a mochi broker with a
// websocket listener (Debian's mosquitto cannot open one here).
func TestWebSocket(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, srv.AddHook(new(allowAll), nil))
	require.NoError(t, srv.AddListener(listeners.NewWebsocket(listeners.Config{ID: "ws", Address: addr})))
	require.NoError(t, srv.Serve())
	t.Cleanup(func() { _ = srv.Close() })
	require.Eventually(t, func() bool { // the websocket listener binds in the background
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			_ = conn.Close()
		}
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)

	url := "ws://" + addr + "/mqtt"
	c := newTestClient(t, testConfig(url))
	obs := newObserver(t, url, "observer", "edge/dev1/#")
	roundTrip(t, c, obs)
}

// TestAsksNotReadAreRefused: when nobody reads Asks(), asks beyond
// AskQueueSize are refused on the error topic instead of blocking paho.
func TestAsksNotReadAreRefused(t *testing.T) {
	cfg := testConfig("")
	cfg.EmbeddedAddr = "127.0.0.1:0"
	cfg.AskQueueSize = 1
	c := newTestClient(t, cfg)
	obs := newObserver(t, c.Broker(), "observer", c.Topics().Error)
	obs.publish(t, c.Topics().Ask, false, []byte(`{"id":"a1","question":"one?"}`))
	obs.publish(t, c.Topics().Ask, false, []byte(`{"id":"a2","question":"two?"}`))
	var e Error
	require.NoError(t, json.Unmarshal(obs.next(t, c.Topics().Error).Payload, &e))
	require.Equal(t, "a2", e.ID)
	require.Contains(t, e.Error, "busy")
	require.Equal(t, uint64(1), c.Stats().AsksDropped)
	require.Zero(t, c.Stats().Malformed)
	require.Equal(t, "a1", (<-c.Asks()).ID)
}

func TestTriggerTopicDeliversMergedRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := StartEmbedded(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer b.Close()
	c, err := New(ctx, Config{Broker: b.URL(), DeviceID: "trig", ReconnectMin: 50 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.AwaitConnection(ctx))

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("trigger-test"))
	tok := pub.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	defer pub.Disconnect(100)
	for i := 0; i < 3; i++ {
		tok := pub.Publish(c.Topics().Trigger, 1, false, []byte("now"))
		require.True(t, tok.WaitTimeout(5*time.Second))
	}
	select {
	case <-c.Triggers():
	case <-ctx.Done():
		t.Fatal("no trigger arrived")
	}
	// Three triggers in a row merge into at most one more pending request.
	time.Sleep(200 * time.Millisecond)
	extra := 0
	for {
		select {
		case <-c.Triggers():
			extra++
			continue
		default:
		}
		break
	}
	require.LessOrEqual(t, extra, 1)
}
