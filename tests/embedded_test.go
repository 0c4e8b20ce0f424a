package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/shapes"
)

// With no configuration at all (no file, no EDGE_* variables, no broker) edge run starts
// its embedded broker, describes synthetic scenes every 5 s, and any MQTT client can
// subscribe to edge/+/caption; the retained status says "online" while it runs, and the
// run ends by itself, with exit code 0, when --duration is over.
func TestEmbeddedBrokerNoConfig(t *testing.T) {
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start := time.Now()
	p := startEdge(t, dir, "run", "--embedded-addr", addr, "--duration", "15s")
	waitListening(t, addr, p.done, 30*time.Second)
	obs := observe(t, "tcp://"+addr, observerOptions{connectFor: 5 * time.Second}, "edge/+/caption")

	// Captions come every 5 s; the first may have gone out before the observer was there.
	msgs := obs.await("caption", 12*time.Second, "a caption", atLeast(1))
	c := decodeAll[caption](t, msgs)[0]
	require.True(t, allCaptions()[c.Text], "%q is not a scene caption the model was taught", c.Text)
	require.Equal(t, shapes.Name, c.Model)
	device := strings.TrimSuffix(strings.TrimPrefix(msgs[0].Topic, "edge/"), "/caption")
	if host, err := os.Hostname(); err == nil && !strings.ContainsAny(host, "/+#") {
		require.Equal(t, host, device, "the device id defaults to the host name")
	}

	st := retainedStatus(t, "tcp://"+addr, "edge/+/status")
	require.Equal(t, "online", st.State)
	require.Equal(t, shapes.Name, st.Model)
	stats, err := json.Marshal(st.Stats)
	require.NoError(t, err)
	t.Logf("status: %s %s", st.State, stats)

	code, _ := p.wait(time.Until(start.Add(30 * time.Second)))
	t.Logf("edge run --duration 15s exited after %v", time.Since(start).Round(100*time.Millisecond))
	require.Equal(t, 0, code, "the end of --duration is a normal end")
	requireCleanStderr(t, p.stderr.String())
	require.NotContains(t, p.stderr.String(), "level=WARN", "a clean run warns of nothing")
}
