package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func sampleCaption(seq uint64) Caption {
	return Caption{
		Text:      "a red circle on a white background",
		TokenIDs:  []int{2, 10, 1104, 7},
		Model:     "blip2-shapes-opt",
		Prompt:    "a picture of",
		FrameTime: time.Date(2026, 3, 14, 15, 9, 26, 535000000, time.UTC),
		Seq:       seq,
		LatencyMS: map[string]float64{"preprocess": 1.5, "image": 12, "prefill": 3.25, "decode": 40, "total": 56.75},
	}
}

func jsonKeys(t *testing.T, payload []byte) []string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestMosquittoRoundTrip publishes every kind of message through a real
// mosquitto and receives asks from it.
func TestMosquittoRoundTrip(t *testing.T) {
	m := startMosquitto(t, "")
	cfg := testConfig(m.url())
	topics := cfg.Topics()
	obs := newObserver(t, m.url(), "observer", "edge/dev1/#")
	c := newTestClient(t, cfg)

	// The client announces itself online when it connects.
	obs.nextStatus(t, topics.Status, StateOnline)

	t.Run("caption", func(t *testing.T) {
		want := sampleCaption(7)
		require.NoError(t, c.PublishCaption(want))
		msg := obs.next(t, topics.Caption)
		var got Caption
		require.NoError(t, json.Unmarshal(msg.Payload, &got))
		require.Equal(t, want, got)
		require.Equal(t, []string{"dropped", "frame_time", "latency_ms", "model", "prompt", "seq", "text", "token_ids"}, jsonKeys(t, msg.Payload))
		require.False(t, msg.Retained)
	})

	t.Run("retained status reaches a late subscriber", func(t *testing.T) {
		want := Status{State: StateWorking, Model: "blip2-shapes-opt", Version: "0.1.0", Board: "jetson-orin-nano",
			Time: time.Date(2026, 3, 14, 15, 9, 27, 0, time.UTC), Stats: map[string]any{"frames": 12.0}}
		require.NoError(t, c.PublishStatus(want))
		obs.nextStatus(t, topics.Status, StateWorking) // delivered before the late subscriber joins
		late := newObserver(t, m.url(), "late", topics.Status)
		got, msg := late.nextStatus(t, topics.Status, StateWorking)
		require.True(t, msg.Retained)
		require.Equal(t, want, got)
	})

	t.Run("answer", func(t *testing.T) {
		want := Answer{ID: "q-1", Question: "what color is the circle?", Text: "red", TokenIDs: []int{1104},
			Session: "s1", TrimmedTurns: 1, Model: "blip2-shapes-opt", FrameTime: time.Date(2026, 3, 14, 15, 9, 28, 0, time.UTC),
			Seq: 8, LatencyMS: map[string]float64{"total": 20}}
		require.NoError(t, c.PublishAnswer(want))
		var got Answer
		require.NoError(t, json.Unmarshal(obs.next(t, topics.Answer).Payload, &got))
		require.Equal(t, want, got)
	})

	t.Run("ask arrives on Asks", func(t *testing.T) {
		obs.publish(t, topics.Ask, false, []byte(`{"id":"r2-17","question":"  is the door open? ","session":"door"}`))
		select {
		case got := <-c.Asks():
			require.Equal(t, Ask{ID: "r2-17", Question: "is the door open?", Session: "door"}, got)
		case <-time.After(5 * time.Second):
			t.Fatal("ask not delivered within 5s")
		}
	})

	t.Run("malformed asks are answered on the error topic", func(t *testing.T) {
		huge := `{"id":"big","question":"` + strings.Repeat("x", 1<<20) + `"}`
		long := `{"id":"long","question":"` + strings.Repeat("y", MaxQuestionBytes+1) + `"}`
		cases := []struct {
			name, payload string
			wantID        string
			wantErr       string
		}{
			{"not JSON", "is the door open?", "", "not a JSON object"},
			{"missing question", `{"id":"q-9"}`, "q-9", "no question"},
			{"missing id", `{"question":"what is it?"}`, "", "no id"},
			{"1 MB question", huge, "", "too large"},
			{"question over the limit", long, "long", "too large"},
		}
		before := c.Stats().Malformed
		for i, tc := range cases {
			t.Log(tc.name)
			obs.publish(t, topics.Ask, false, []byte(tc.payload))
			var got Error
			require.NoError(t, json.Unmarshal(obs.next(t, topics.Error).Payload, &got), tc.name)
			require.Equal(t, tc.wantID, got.ID, tc.name)
			require.Contains(t, got.Error, tc.wantErr, tc.name)
			require.Equal(t, headOf([]byte(tc.payload), ErrorPayloadBytes), got.Payload, tc.name)
			require.Equal(t, before+uint64(i+1), c.Stats().Malformed, tc.name)
		}
		obs.publish(t, topics.Ask, false, []byte(`{"id":"ok","question":"how many shapes are there?"}`))
		select {
		case got := <-c.Asks():
			require.Equal(t, "ok", got.ID)
		case <-time.After(5 * time.Second):
			t.Fatal("valid ask after malformed ones not delivered")
		}
		require.Empty(t, c.Asks(), "a malformed ask reached Asks()")
	})

	t.Run("error", func(t *testing.T) {
		require.NoError(t, c.PublishError(Error{ID: "q-3", Error: "decode failed", Payload: strings.Repeat("é", 150)}))
		var got Error
		require.NoError(t, json.Unmarshal(obs.next(t, topics.Error).Payload, &got))
		require.Equal(t, "q-3", got.ID)
		require.Equal(t, strings.Repeat("é", 100), got.Payload) // 200 bytes, whole characters
	})

	require.NoError(t, c.Close())
	s, _ := obs.nextStatus(t, topics.Status, StateOffline)
	require.Equal(t, "blip2-shapes-opt", s.Model, "offline status keeps the last status's model")
	require.False(t, s.Time.IsZero(), "Close's offline status is stamped")
	st := c.Stats()
	require.Zero(t, st.Dropped)
	require.Zero(t, st.Queued)
	require.Equal(t, st.Enqueued, st.Published)
	require.False(t, st.Connected)
	_, open := <-c.Asks()
	require.False(t, open, "Asks() is closed after Close")
	require.ErrorIs(t, c.PublishCaption(sampleCaption(99)), ErrClosed)
}

// TestRetainedAskIsRefused: a retained ask would be replayed at every
// (re)subscription and answered again, so the client refuses it.
func TestRetainedAskIsRefused(t *testing.T) {
	m := startMosquitto(t, "")
	cfg := testConfig(m.url())
	topics := cfg.Topics()
	obs := newObserver(t, m.url(), "observer", topics.Error)
	obs.publish(t, topics.Ask, true, []byte(`{"id":"old","question":"what is it?"}`))
	t.Cleanup(func() { obs.publish(t, topics.Ask, true, nil) }) // clear it

	c := newTestClient(t, cfg)
	var got Error
	require.NoError(t, json.Unmarshal(obs.next(t, topics.Error).Payload, &got))
	require.Equal(t, "old", got.ID)
	require.Contains(t, got.Error, "retain")
	require.Equal(t, uint64(1), c.Stats().Malformed)
	require.Empty(t, c.Asks())
}

// TestLastWillWhenConnectionDies cuts the client's TCP connection under it
// (a proxy closes both sockets, as a dead network would): the broker
// publishes the retained "offline" will, and the client, once it is back,
// announces itself again.
func TestLastWillWhenConnectionDies(t *testing.T) {
	m := startMosquitto(t, "")
	proxy := startProxy(t, m.addr())
	cfg := testConfig(proxy.url())
	topics := cfg.Topics()
	obs := newObserver(t, m.url(), "observer", topics.Status)
	c := newTestClient(t, cfg)
	require.NoError(t, c.PublishStatus(Status{State: StateWorking, Model: "m"}))
	obs.nextStatus(t, topics.Status, StateWorking)

	proxy.cut(true)
	will, _ := obs.nextStatus(t, topics.Status, StateOffline)
	require.Equal(t, Status{State: StateOffline}, will)
	late := newObserver(t, m.url(), "late", topics.Status)
	_, lateMsg := late.nextStatus(t, topics.Status, StateOffline)
	require.True(t, lateMsg.Retained, "the will is retained")
	eventually(t, "client notices the dead connection", func() bool { return !c.Stats().Connected })

	proxy.allow()
	back, _ := obs.nextStatus(t, topics.Status, StateWorking)
	require.Equal(t, "m", back.Model)
	eventually(t, "reconnect counted", func() bool { return c.Stats().Reconnects == 1 })

	// Asks work on the new connection: the client subscribed again.
	obs.publish(t, topics.Ask, false, []byte(`{"id":"after","question":"what is it?"}`))
	select {
	case got := <-c.Asks():
		require.Equal(t, "after", got.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("no ask after reconnect: not subscribed again")
	}
}

// TestDroppedCaptionsAccountForSeq fills the queue while the network is
// down: the oldest captions are dropped, and the first caption published
// afterwards says how many, so that sequence gaps are explained.
func TestDroppedCaptionsAccountForSeq(t *testing.T) {
	m := startMosquitto(t, "")
	proxy := startProxy(t, m.addr())
	cfg := testConfig(proxy.url())
	cfg.QueueSize = 4
	topics := cfg.Topics()
	obs := newObserver(t, m.url(), "observer", topics.Caption)
	c := newTestClient(t, cfg)

	var seq uint64
	publish := func(n int) {
		for range n {
			seq++
			require.NoError(t, c.PublishCaption(sampleCaption(seq)))
		}
	}
	publish(3)
	eventually(t, "first captions sent", func() bool { return c.Stats().Published >= 4 }) // 3 + online status

	proxy.cut(true)
	eventually(t, "link down", func() bool { return !c.Stats().Connected })
	publish(10)
	require.Equal(t, uint64(6), c.Stats().Dropped, "10 captions into a queue of 4")
	proxy.allow()
	publish(2)

	var got []Caption
	for len(got) == 0 || got[len(got)-1].Seq != seq {
		var cp Caption
		require.NoError(t, json.Unmarshal(obs.next(t, topics.Caption).Payload, &cp))
		got = append(got, cp)
	}
	var sumDropped uint64
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i].Seq-got[i-1].Seq-1, got[i].Dropped, "caption seq %d", got[i].Seq)
		sumDropped += got[i].Dropped
	}
	require.Equal(t, uint64(0), got[0].Dropped)
	require.Equal(t, seq-uint64(len(got)), sumDropped, "every caption not received is reported dropped")
	require.Positive(t, sumDropped)
	eventually(t, "queue drained", func() bool { return c.Stats().Queued == 0 })
	st := c.Stats()
	require.Equal(t, st.Enqueued, st.Published+st.Dropped)
}

// TestMosquittoRestart kills the broker with SIGKILL in the middle of a run
// and starts it again on the same port.
func TestMosquittoRestart(t *testing.T) {
	m := startMosquitto(t, "")
	cfg := testConfig(m.url())
	cfg.QueueSize = 16
	c := newTestClient(t, cfg)

	var seq uint64
	publish := func(n int) {
		for range n {
			seq++
			require.NoError(t, c.PublishCaption(sampleCaption(seq)))
		}
	}
	publish(20)
	eventually(t, "captions sent", func() bool { return c.Stats().Queued == 0 })

	m.kill()
	eventually(t, "link down", func() bool { return !c.Stats().Connected })
	before := c.Stats()
	t.Logf("before the outage: %+v", before)
	for range 5 { // keep describing frames while the broker is away
		publish(10)
		time.Sleep(20 * time.Millisecond)
	}
	during := c.Stats()
	t.Logf("during the outage: %+v", during)
	require.Equal(t, uint64(50-16), during.Dropped-before.Dropped, "50 captions into a queue of 16")

	m.start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.AwaitConnection(ctx))
	obs := newObserver(t, m.url(), "observer", cfg.Topics().Caption)
	eventually(t, "backlog sent", func() bool { return c.Stats().Queued == 0 })

	publish(1) // publishing resumed: a fresh caption reaches a fresh subscriber
	var last uint64
	for last != seq { // the tail of the backlog may come first, in order
		var cp Caption
		require.NoError(t, json.Unmarshal(obs.next(t, cfg.Topics().Caption).Payload, &cp))
		require.Greater(t, cp.Seq, last)
		last = cp.Seq
	}

	eventually(t, "queue drained", func() bool { return c.Stats().Queued == 0 })
	st := c.Stats()
	require.Equal(t, st.Enqueued, st.Published+st.Dropped, "published+dropped account for everything enqueued: %+v", st)
	require.Equal(t, uint64(1), st.Reconnects)
	require.NoError(t, c.Close())
	st = c.Stats()
	require.Equal(t, st.Enqueued, st.Published+st.Dropped)
}

// TestCloseWithoutBroker: a client that never connects still closes within
// CloseTimeout and counts what it could not send.
func TestCloseWithoutBroker(t *testing.T) {
	cfg := testConfig("tcp://127.0.0.1:" + strconv.Itoa(freePort(t)))
	cfg.CloseTimeout = 200 * time.Millisecond
	c, err := New(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, c.PublishCaption(sampleCaption(1)))

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = c.AwaitConnection(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "connection refused")

	start := time.Now()
	err = c.Close()
	require.Error(t, err)
	require.Contains(t, err.Error(), "2 messages not delivered") // the caption and "offline"
	require.Less(t, time.Since(start), 2*time.Second)
	st := c.Stats()
	require.Equal(t, Stats{Enqueued: 2, Dropped: 2}, st)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}

// TestContextCancelClosesClient: New's context owns the client, and the
// client owns the embedded broker it started: the "offline" status still
// gets out before the broker stops.
func TestContextCancelClosesClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := testConfig("")
	cfg.EmbeddedAddr = "127.0.0.1:0"
	c, err := New(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, c.AwaitConnection(context.Background()))
	cancel()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client did not stop when its context was cancelled")
	}
	require.NoError(t, c.Close(), "the offline status was delivered")
	require.True(t, errors.Is(c.PublishStatus(Status{State: StateOnline}), ErrClosed))
	st := c.Stats()
	require.Equal(t, uint64(2), st.Enqueued, "online and offline")
	require.Equal(t, st.Enqueued, st.Published)
}
