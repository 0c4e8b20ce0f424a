package tests

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Measurements, logged for `go test -v`, not judged: how long from a frame to its
// published caption with the shapes model, and how much CPU edge uses while it waits
// between frames.
func TestMeasurements(t *testing.T) {
	t.Run("frame to caption latency", func(t *testing.T) {
		dir := t.TempDir()
		img := writePNG(t, dir, twoShapes())
		b := startMosquitto(t, false)
		obs := observe(t, b.url(), observerOptions{}, "edge/cam1/caption")
		p := startEdge(t, dir, runArgs(b.url(), "cam1", "--camera", img, "--on-end", "loop", "--max-fps", "5", "--mode", "continuous")...)
		obs.await("caption", 60*time.Second, "a caption", atLeast(1))
		time.Sleep(6 * time.Second)
		msgs := obs.on("caption")[1:] // the first waits for the model's first use
		require.GreaterOrEqual(t, len(msgs), 3, "continuous mode keeps captioning")
		stages := map[string][]float64{}
		for i, c := range decodeAll[caption](t, msgs) {
			for k, v := range c.LatencyMS {
				stages[k] = append(stages[k], v)
			}
			// The observer's clock is the device's: same machine.
			stages["frame_to_receipt"] = append(stages["frame_to_receipt"], float64(msgs[i].At.Sub(c.FrameTime).Microseconds())/1000)
		}
		require.NotEmpty(t, stages["frame_to_publish"], "captions carry latency_ms.frame_to_publish")
		keys := make([]string, 0, len(stages))
		for k := range stages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []string
		for _, k := range keys {
			med, mx := medianMax(stages[k])
			lines = append(lines, fmt.Sprintf("  %-18s median %7.1f ms  max %7.1f ms", k, med, mx))
		}
		t.Logf("shapes model, continuous mode, %d captions (a frame every 200 ms):\n%s", len(msgs), strings.Join(lines, "\n"))
		p.signal(syscall.SIGTERM)
		p.wait(5 * time.Second)
	})

	t.Run("idle CPU", func(t *testing.T) {
		dir := t.TempDir()
		video := writeVideo(t, dir, randomScenes(7, 2), 8, 8)
		img := writePNG(t, dir, twoShapes())
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"video file through OpenCV at 8 fps", []string{"--camera", video, "--on-end", "loop", "--max-fps", "8"}},
			{"still image at 5 fps", []string{"--camera", img, "--on-end", "loop", "--max-fps", "5"}},
		} {
			b := startMosquitto(t, false)
			obs := observe(t, b.url(), observerOptions{}, "edge/cam1/caption", "edge/cam1/status")
			p := startEdge(t, dir, runArgs(b.url(), "cam1", append(tc.args, "--mode", "trigger")...)...)
			obs.awaitOnline(60 * time.Second)
			time.Sleep(time.Second) // past start-up
			cpu0, t0 := p.cpuTime(), time.Now()
			time.Sleep(5 * time.Second)
			cpu1, t1 := p.cpuTime(), time.Now()
			t.Logf("idle in trigger mode, %s: %.1f %% of one core (%v CPU in %v)", tc.name,
				100*(cpu1-cpu0).Seconds()/t1.Sub(t0).Seconds(), cpu1-cpu0, t1.Sub(t0).Round(time.Millisecond))
			require.Empty(t, obs.on("caption"), "trigger mode describes nothing without a trigger")
			// One trigger, one caption: the trigger topic works.
			obs.publish("edge/cam1/trigger", false, []byte("now"))
			obs.await("caption", 30*time.Second, "the triggered caption", atLeast(1))
			p.signal(syscall.SIGTERM)
			code, _ := p.wait(5 * time.Second)
			require.Equal(t, 0, code)
		}
	})
}

func medianMax(v []float64) (float64, float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, s[len(s)-1]
}
