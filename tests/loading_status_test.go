package tests

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// edge run connects to the broker before it loads the model, and its retained status
// says "loading" with how far the load is (from 0 to the whole) before "online".
func TestRunStatusSaysLoading(t *testing.T) {
	broker := startMosquitto(t, false)
	ob := observe(t, broker.url(), observerOptions{}, "edge/+/status")
	p := startEdge(t, ".", "run", "--broker", broker.url(), "--device-id", "cam1", "--duration", "4s")
	type st struct {
		State string         `json:"state"`
		Stats map[string]any `json:"stats"`
	}
	msgs := ob.await("status", 20*time.Second, "an online status", func(ms []message) bool {
		for _, m := range ms {
			var s st
			if json.Unmarshal(m.Payload, &s) == nil && s.State == "online" {
				return true
			}
		}
		return false
	})
	var states []string
	var fractions []float64
	for _, m := range msgs {
		var s st
		require.NoError(t, json.Unmarshal(m.Payload, &s))
		states = append(states, s.State)
		if s.State == "loading" {
			fractions = append(fractions, s.Stats["loaded_fraction"].(float64))
			require.Positive(t, s.Stats["total_bytes"].(float64))
		}
	}
	require.Equal(t, "loading", states[0], "states: %v", states)
	require.Equal(t, "online", states[len(states)-1], "states: %v", states)
	require.Equal(t, 0.0, fractions[0])
	require.Equal(t, 1.0, fractions[len(fractions)-1], "the last loading status is the whole: %v", fractions)
	code, _ := p.wait(20 * time.Second)
	require.Equal(t, 0, code)
}
