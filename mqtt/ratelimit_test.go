package mqtt

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAskLimiterBuckets(t *testing.T) {
	l := newAskLimiter(AskLimits{PerClientRate: 1, PerClientBurst: 2, GlobalRate: 10, GlobalBurst: 3})
	now := time.Unix(1000, 0)
	allow := func(client string) string {
		ok, limit := l.allow(client, now)
		if ok {
			return "ok"
		}
		return limit
	}
	require.Equal(t, "ok", allow("a"))
	require.Equal(t, "ok", allow("a"))
	require.Equal(t, "per-client", allow("a"), "a's burst of 2 is spent")
	require.Equal(t, "ok", allow("b"))
	require.Equal(t, "global", allow("c"), "the global burst of 3 is spent")
	now = now.Add(time.Second) // a gets one token back, the global bucket ten (capped at 3)
	require.Equal(t, "ok", allow("a"))
	require.Equal(t, "per-client", allow("a"))

	off := newAskLimiter(AskLimits{PerClientRate: -1, GlobalRate: -1})
	for range 1000 {
		ok, _ := off.allow("x", now)
		require.True(t, ok, "negative rates turn the limits off")
	}
}

// Forged asker names cannot grow the limiter without bound.
func TestAskLimiterForgetsIdlest(t *testing.T) {
	l := newAskLimiter(AskLimits{PerClientRate: 1, PerClientBurst: 1})
	now := time.Unix(1000, 0)
	for i := range 3 * maxTrackedClients {
		l.allow(fmt.Sprint(i), now.Add(time.Duration(i)))
	}
	require.LessOrEqual(t, len(l.clients), maxTrackedClients)
}

// A flood of asks through a real broker: those over the limits are answered at once on
// the error topic, naming the ask and the limit; the others reach Asks().
func TestAskFloodRefused(t *testing.T) {
	m := startMosquitto(t, "")
	cfg := testConfig(m.url())
	cfg.AskLimits = AskLimits{PerClientRate: 0.01, PerClientBurst: 2, GlobalRate: 0.01, GlobalBurst: 5}
	cfg.AskQueueSize = 64
	c := newTestClient(t, cfg)
	obs := newObserver(t, m.url(), "flood-observer", c.Topics().Error)
	const perClient = 4
	for i := range perClient {
		for _, who := range []string{"c1", "c2", "c3"} {
			b, _ := json.Marshal(Ask{ID: fmt.Sprintf("%s-%d", who, i), Question: "how many shapes are there?", Client: who})
			obs.publish(t, c.Topics().Ask, false, b)
		}
	}
	// c1, c2 and c3 get two each by the per-client burst, but the global burst of 5
	// lets only five of those six through.
	var refused []Error
	for range 3*perClient - 5 {
		var e Error
		require.NoError(t, json.Unmarshal(obs.next(t, c.Topics().Error).Payload, &e))
		require.NotEmpty(t, e.ID)
		require.True(t, strings.Contains(e.Error, "rate limit"), "error %q", e.Error)
		refused = append(refused, e)
	}
	got := 0
	for len(c.Asks()) > 0 {
		<-c.Asks()
		got++
	}
	require.Equal(t, 5, got, "asks let through")
	require.EqualValues(t, 3*perClient-5, c.Stats().AsksLimited)
}
