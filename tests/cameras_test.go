package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lastStatus is the newest status on topic, or nil.
func lastStatus(t *testing.T, ms []message, topic string) *status {
	t.Helper()
	var last *status
	for _, m := range ms {
		if m.Topic == topic {
			var st status
			require.NoError(t, json.Unmarshal(m.Payload, &st), "decode %s", m.Payload)
			last = &st
		}
	}
	return last
}

// lastOnline is the newest "online" status on topic, or nil.
func lastOnline(t *testing.T, ms []message, topic string) *status {
	t.Helper()
	var last *status
	for _, m := range ms {
		var st status
		if m.Topic == topic && json.Unmarshal(m.Payload, &st) == nil && st.State == "online" {
			last = &st
		}
	}
	return last
}

// Network cameras in one `edge run`, sharing one model: each camera is its own device
// on MQTT (captions on its topics, equal to what `edge caption` says of its scene; asks
// on its ask topic answered on its answer topic; a retained status that goes offline at
// SIGTERM), and image paths that wait for the model together run as one batch, which
// the status counts. Three cameras, not two: with two, one camera's frame waits only
// for the other's generation and runs alone when it ends (a batch needs two frames
// waiting for a third generation); the first two are the ones checked most.
func TestCamerasShareOneModel(t *testing.T) {
	dir := t.TempDir()
	scenes := randomScenes(21, 3)
	// One frame a scene, looped: every frame a camera reads is that JPEG file.
	streams := map[string]*streamServer{"door": startStream(t, scenes[:1], 1, 10),
		"yard": startStream(t, scenes[1:2], 1, 10), "gate": startStream(t, scenes[2:], 1, 10)}
	want := map[string]string{}
	for id, s := range streams {
		path := filepath.Join(dir, id+".jpg")
		require.NoError(t, os.WriteFile(path, s.frames[0], 0o600))
		want[id] = edgeText(t, "caption", path)
	}
	conf := writeConfig(t, dir, "status_interval: 300ms\n")
	b := startMosquitto(t, false)
	obs := observe(t, b.url(), observerOptions{}, "edge/+/caption", "edge/+/answer", "edge/+/status", "edge/+/error")
	// Continuous mode: each camera describes every new frame, so captions and asks wait
	// for the model together.
	p := startEdge(t, dir, "run", "--broker", b.url(), "--config", conf, "--print", "--mode", "continuous",
		"--camera", "door="+streams["door"].url(), "--camera", "yard="+streams["yard"].url(), "--camera", "gate="+streams["gate"].url(), "--http", "127.0.0.1:0")

	captionsOf := func(id string) func([]message) bool {
		return func(ms []message) bool {
			n := 0
			for _, m := range ms {
				if m.Topic == "edge/"+id+"/caption" {
					n++
				}
			}
			return n >= 3
		}
	}
	obs.await("caption", 40*time.Second, "3 door captions", captionsOf("door"))
	obs.await("caption", 20*time.Second, "3 yard captions", captionsOf("yard"))
	obs.await("caption", 20*time.Second, "3 gate captions", captionsOf("gate"))
	for _, m := range obs.on("caption") {
		id := strings.Split(m.Topic, "/")[1]
		var c caption
		require.NoError(t, json.Unmarshal(m.Payload, &c))
		require.Equal(t, want[id], c.Text, "a caption on %s", m.Topic)
	}

	// The HTTP API's latest caption is the first camera's.
	resp, err := http.Get("http://" + serveAddr(t, p) + "/v1/captions/latest")
	require.NoError(t, err)
	var latest struct{ Text string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&latest))
	resp.Body.Close()
	require.Equal(t, want["door"], latest.Text, "the HTTP API follows the first camera")

	const question = "how many shapes are there?"
	truth, ok := scenes[1].Answer(question)
	require.True(t, ok)
	for _, id := range []string{"a1", "a2", "a3"} {
		payload, err := json.Marshal(map[string]string{"id": id, "question": question})
		require.NoError(t, err)
		obs.publish("edge/yard/ask", false, payload)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		a := awaitAnswer(t, obs, id, 20*time.Second)
		require.Equal(t, truth, norm(a.Text), "ask %s about the yard camera's scene", id)
	}
	for _, m := range obs.on("answer") {
		require.Equal(t, "edge/yard/answer", m.Topic, "answers go to the asked camera's topic")
	}

	var batched status
	obs.await("status", 20*time.Second, "a status that counts batched image paths", func(ms []message) bool {
		for _, id := range []string{"door", "yard", "gate"} {
			if st := lastStatus(t, ms, "edge/"+id+"/status"); st != nil && st.Stats["image_paths_batched"].(float64) > 0 {
				batched = *st
				return true
			}
		}
		return false
	})
	t.Logf("image paths run %v, of them batched %v, largest batch %v", batched.Stats["image_paths_run"],
		batched.Stats["image_paths_batched"], batched.Stats["image_batch_largest"])
	require.GreaterOrEqual(t, batched.Stats["image_batch_largest"], 2.0)

	time.Sleep(400 * time.Millisecond) // one more status from each camera (status_interval 300ms)
	p.signal(syscall.SIGTERM)
	code, took := p.wait(15 * time.Second)
	require.Equal(t, 0, code)
	t.Logf("edge run ended %v after SIGTERM", took)
	requireCleanStderr(t, p.stderr.String())
	require.Contains(t, p.stdout.String(), "[door]: "+want["door"], "--print tags each line with its camera")
	require.Contains(t, p.stderr.String(), "edge run: camera yard ("+streams["yard"].url()+")")
	for _, id := range []string{"door", "yard", "gate"} {
		if st := lastOnline(t, obs.on("status"), "edge/"+id+"/status"); st != nil {
			t.Logf("%s, last status before SIGTERM: %v captions, %v answers, image paths run %v, batched %v, largest batch %v, prefixes reused (all cameras) %v",
				id, st.Stats["captions"], st.Stats["answers"], st.Stats["image_paths_run"], st.Stats["image_paths_batched"],
				st.Stats["image_batch_largest"], st.Stats["image_prefix_reused"])
		}
	}
	late := observe(t, b.url(), observerOptions{}, "edge/+/status")
	msgs := late.await("status", 5*time.Second, "every camera's retained status", atLeast(3))
	for _, id := range []string{"door", "yard", "gate"} {
		st := lastStatus(t, msgs, "edge/"+id+"/status")
		require.NotNil(t, st, id)
		require.Equal(t, "offline", st.State, "%s's retained status after SIGTERM", id)
	}
}
