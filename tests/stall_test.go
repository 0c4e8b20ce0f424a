package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gocv.io/x/gocv"
)

// OpenCV 4.6's property ids for its FFmpeg backend's timeouts (gocv 0.32 has no names
// for them).
const (
	capPropOpenTimeoutMsec = 53
	capPropReadTimeoutMsec = 54
)

// A network camera that stops sending without closing the connection is noticed within
// the stall timeout, reported in the status, and reopened once it sends again, while
// asks are still answered meanwhile. Detection and recovery times are logged (not
// asserted: the machine is shared).
func TestStalledStreamDetectedAndRecovered(t *testing.T) {
	// Beside it: whether OpenCV's own read timeout, set after open, cuts a stalled read.
	probe := make(chan string, 1)
	go probeReadTimeout(startStream(t, randomScenes(6, 1), 10, 10), probe)

	s := startStream(t, randomScenes(5, 2), 30, 10)
	dir := t.TempDir()
	conf := writeConfig(t, dir, "status_interval: 500ms\ncamera:\n  stall_timeout: 2s\n")
	b := startMosquitto(t, false)
	obs := observe(t, b.url(), observerOptions{}, "edge/cam1/caption", "edge/cam1/status", "edge/cam1/answer", "edge/cam1/error")
	p := startEdge(t, dir, runArgs(b.url(), "cam1", "--config", conf, "--camera", s.url(), "--max-fps", "5", "--mode", "interval", "--interval", "500ms")...)
	obs.await("caption", 60*time.Second, "captions before the stall", atLeast(2))

	s.stall(true)
	stalledAt := time.Now()
	var detected status
	obs.await("status", 30*time.Second, "a status that reports the stall", func(ms []message) bool {
		for _, m := range ms {
			var st status
			if json.Unmarshal(m.Payload, &st) == nil && st.Stats["camera_state"] == "stalled" {
				detected = st
				return true
			}
		}
		return false
	})
	last, err := time.Parse(time.RFC3339Nano, fmt.Sprint(detected.Stats["camera_last_stall"]))
	require.NoError(t, err, "camera_last_stall in %v", detected.Stats)
	detection := last.Sub(stalledAt)
	// Asks are answered while the camera is stalled (about the last frame it gave).
	ask(t, obs, "during-stall", "how many shapes are there?", "")
	a := awaitAnswer(t, obs, "during-stall", 60*time.Second)
	time.Sleep(time.Until(stalledAt.Add(8 * time.Second)))

	s.stall(false)
	resumedAt := time.Now()
	var recovered time.Time
	obs.await("caption", 60*time.Second, "a caption of a frame read after the stream resumed", func(ms []message) bool {
		for _, m := range ms {
			var c caption
			if json.Unmarshal(m.Payload, &c) == nil && c.FrameTime.After(resumedAt) {
				recovered = m.At
				return true
			}
		}
		return false
	})
	var st status
	obs.await("status", 30*time.Second, "a status after the reopen", func(ms []message) bool {
		for _, m := range ms {
			if json.Unmarshal(m.Payload, &st) == nil && st.Stats["camera_opens"] != nil && st.Stats["camera_opens"].(float64) > 1 && st.Stats["camera_state"] == "ok" {
				return true
			}
		}
		return false
	})
	t.Logf("stall detected %.2fs after the stream stopped sending (stall_timeout 2s; status says %v stalls, state %v, error %v)",
		detection.Seconds(), detected.Stats["camera_stalls"], detected.Stats["camera_state"], detected.Stats["camera_error"])
	t.Logf("recovered: first caption of a new frame %.2fs after the stream resumed; camera opens %v, abandoned reads now %v; answer during the stall %q",
		recovered.Sub(resumedAt).Seconds(), st.Stats["camera_opens"], st.Stats["camera_abandoned"], a.Text)
	require.Positive(t, detection, "the stall was reported after it began")
	require.True(t, p.running())
	t.Logf("OpenCV read timeout probe: %s", <-probe)
}

// probeReadTimeout opens a stream through OpenCV's FFmpeg backend, sets its open and
// read timeouts to 1 s, stalls the stream and times one read. It only reports.
func probeReadTimeout(s *streamServer, out chan<- string) {
	vc, err := gocv.VideoCaptureFileWithAPI(s.url(), gocv.VideoCaptureFFmpeg)
	if err != nil {
		out <- fmt.Sprintf("open: %v", err)
		return
	}
	defer vc.Close()
	before := vc.Get(capPropReadTimeoutMsec)
	vc.Set(capPropOpenTimeoutMsec, 1000)
	vc.Set(capPropReadTimeoutMsec, 1000)
	after := vc.Get(capPropReadTimeoutMsec)
	m := gocv.NewMat()
	defer m.Close()
	vc.Read(&m)
	s.stall(true)
	start := time.Now()
	ok := vc.Read(&m)
	for ok && time.Since(start) < 500*time.Millisecond { // frames already buffered
		start = time.Now()
		ok = vc.Read(&m)
	}
	out <- fmt.Sprintf("CAP_PROP_READ_TIMEOUT_MSEC reads %v before and %v after Set(1000); a read of the stalled stream returned %v after %.1fs",
		before, after, ok, time.Since(start).Seconds())
}

func writeConfig(t *testing.T, dir, yaml string) string {
	t.Helper()
	path := filepath.Join(dir, "edge.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}
