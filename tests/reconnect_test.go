package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The broker dies (SIGKILL) in the middle of a run and comes back on the same port. The
// device does not crash, publishes again once the broker is back, and accounts for every
// caption it made: between two captions received, the gap in seq equals the later one's
// dropped count, so nothing is lost silently.
func TestBrokerKilledAndRestarted(t *testing.T) {
	dir := t.TempDir()
	img := writePNG(t, dir, twoShapes())
	// A queue of two and a quick reconnect: an outage of a few seconds overflows the
	// queue, so the drop accounting is exercised, and the test does not wait long.
	conf := filepath.Join(dir, "edge.yaml")
	require.NoError(t, os.WriteFile(conf, []byte("mqtt:\n  queue_size: 2\n  reconnect_min: 200ms\n  reconnect_max: 1s\n"), 0o600))
	b := startMosquitto(t, true)
	// A persistent session: the broker keeps what is published for the observer while it
	// reconnects after the restart, so every gap it sees is the device's doing.
	obs := observe(t, b.url(), observerOptions{clientID: "reconnect-observer", persistent: true}, "edge/cam1/caption")
	p := startEdge(t, dir, runArgs(b.url(), "cam1", "--config", conf, "--camera", img, "--on-end", "loop", "--max-fps", "5",
		"--mode", "interval", "--interval", "500ms")...)

	obs.await("caption", 60*time.Second, "captions before the outage", atLeast(3))
	time.Sleep(1500 * time.Millisecond) // the broker's autosave now holds the observer's session
	b.kill()
	killedAt := time.Now()
	lastBefore := decodeAll[caption](t, obs.on("caption"))
	time.Sleep(4 * time.Second)
	require.True(t, p.running(), "edge exited while the broker was away")
	b.restart()
	t.Logf("broker down for %v; %d captions before", time.Since(killedAt).Round(10*time.Millisecond), len(lastBefore))

	maxSeq := lastBefore[len(lastBefore)-1].Seq
	obs.await("caption", 60*time.Second, "captions after the restart", func(ms []message) bool {
		n := 0
		for _, c := range decodeAll[caption](t, ms) {
			if c.Seq > maxSeq {
				n++
			}
		}
		return n >= 4
	})
	require.True(t, p.running(), "edge exited after the broker came back")
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	require.Equal(t, 0, code)
	requireCleanStderr(t, p.stderr.String())

	var prev, dropped, dups uint64
	var after int
	var trail []string
	for _, c := range decodeAll[caption](t, obs.on("caption")) {
		trail = append(trail, fmt.Sprintf("%d/%d", c.Seq, c.Dropped))
		if c.Seq <= prev {
			// QoS 1 delivers at least once: a caption whose acknowledgement the dying
			// broker never sent is sent again.
			dups++
			continue
		}
		require.Equal(t, c.Seq-prev-1, c.Dropped, "caption seq %d after seq %d: the gap must equal dropped", c.Seq, prev)
		dropped += c.Dropped
		if c.Seq > maxSeq {
			after++
		}
		prev = c.Seq
	}
	t.Logf("captions: %d received before the kill, %d after the restart, %d dropped by the device's full queue (reported), %d duplicates, last seq %d; seq/dropped: %s",
		len(lastBefore), after, dropped, dups, prev, strings.Join(trail, " "))
	require.Positive(t, dropped, "a 4 s outage overflows a queue of two; the drops must be reported")
}
