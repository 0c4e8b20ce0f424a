package loop

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/shapes"
	"github.com/edgevlm/edge/mqtt"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

func loadShapes(t *testing.T) *blip2.Model {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := shapes.Dir()
	require.NoError(t, err)
	m, err := blip2.Load(dir, blip2.Options{Backend: cpu.New(0)})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

// TestThermalPauseStopsCaptionsAndSaysSo runs the real loop (synthetic camera, embedded
// broker, shapes model) and drives its thermal input: paused means no captions and a
// status that says why; back to normal, captions resume.
func TestThermalPauseStopsCaptionsAndSaysSo(t *testing.T) {
	m := loadShapes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	thermal := make(chan Thermal, 1)
	thermal <- Thermal{State: "paused", FPSFactor: 0, Reason: "cpu-thermal at 97 °C"}

	var mu sync.Mutex
	var captions []mqtt.Caption
	var statuses []mqtt.Status
	var undecodable []error // checked on the test goroutine: require must not run in the callback
	ready := make(chan string, 1)
	cfg := Config{
		Camera:         CameraConfig{Source: "synthetic", MaxFPS: 20, ScenePeriod: 5},
		Schedule:       ScheduleConfig{Mode: "continuous"},
		MQTT:           mqtt.Config{EmbeddedAddr: "127.0.0.1:0", DeviceID: "thermal", ReconnectMin: 50 * time.Millisecond},
		StatusInterval: 300 * time.Millisecond,
	}
	opts := Options{Thermal: thermal, OnReady: func(broker string, _ mqtt.Topics) { ready <- broker }}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, m, opts) }()

	broker := <-ready
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("thermal-test"))
	tok := sub.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	defer sub.Disconnect(100)
	tok = sub.Subscribe("edge/thermal/#", 1, func(_ paho.Client, msg paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		switch msg.Topic() {
		case "edge/thermal/caption":
			var c mqtt.Caption
			if err := json.Unmarshal(msg.Payload(), &c); err != nil {
				undecodable = append(undecodable, err)
				return
			}
			captions = append(captions, c)
		case "edge/thermal/status":
			var s mqtt.Status
			if err := json.Unmarshal(msg.Payload(), &s); err != nil {
				undecodable = append(undecodable, err)
				return
			}
			statuses = append(statuses, s)
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))

	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	require.Empty(t, captions, "no captions while paused")
	var paused *mqtt.Status
	for i := range statuses {
		if statuses[i].Stats["thermal"] == "paused" {
			paused = &statuses[i]
		}
	}
	mu.Unlock()
	require.NotNil(t, paused, "the status says it is paused")
	require.Equal(t, "cpu-thermal at 97 °C", paused.Stats["thermal_reason"])
	require.Greater(t, paused.Stats["thermal_skipped"], 0.0)

	thermal <- Thermal{State: "normal", FPSFactor: 1}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(captions) >= 2
	}, 30*time.Second, 50*time.Millisecond, "captions resume when cool")
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, undecodable, "every caption and status decodes")
}

func TestThrottlingKeepsTheGivenShare(t *testing.T) {
	s := &Service{}
	s.thermal.Store(&Thermal{State: "throttled", FPSFactor: 0.5})
	kept := 0
	for i := 0; i < 100; i++ {
		if !s.coolDown() {
			kept++
		}
	}
	require.Equal(t, 50, kept)
	s.thermal.Store(&Thermal{State: "normal", FPSFactor: 1})
	require.False(t, s.coolDown())
}

func TestSessionsAreBoundedAndExpire(t *testing.T) {
	ss := newSessions(2, time.Hour)
	add := func(id, q string) {
		ss.update(id, func(c *runtime.Session) { c.Add(q, "a", 0) })
	}
	add("a", "q1")
	time.Sleep(time.Millisecond)
	add("b", "q1")
	time.Sleep(time.Millisecond)
	add("a", "q2")
	time.Sleep(time.Millisecond)
	add("c", "q1") // evicts b, the least recently used
	require.Equal(t, 2, ss.len())
	require.Len(t, ss.get("a").Turns, 2)
	require.Empty(t, ss.get("b").Turns)

	short := newSessions(4, 10*time.Millisecond)
	short.update("x", func(c *runtime.Session) { c.Add("q", "a", 0) })
	time.Sleep(30 * time.Millisecond)
	require.Empty(t, short.get("x").Turns)
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		mut   func(*Config)
		field string
	}{
		{func(c *Config) { c.Schedule.Mode = "sometimes" }, "schedule.mode"},
		{func(c *Config) { c.Model.Device = "tpu" }, "model.device"},
		{func(c *Config) { c.Model.MaxMemory = "lots" }, "model.max_memory"},
		{func(c *Config) { c.Camera.OnEnd = "explode" }, "camera.on_end"},
		{func(c *Config) { c.MaxNewTokens = -1 }, "max_new_tokens"},
		{func(c *Config) { c.MQTT.QoS = 7 }, "mqtt"},
	} {
		var c Config
		c.MQTT.DeviceID = "x"
		tc.mut(&c)
		c.Defaults()
		err := c.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), tc.field)
	}
}

// TestAskAboutACaptionedFrameReusesItsImagePath runs the real loop (trigger mode, a
// synthetic camera giving a frame every 4 s): the caption of a frame runs the image path
// once; asks about that same frame run it zero times and answer as a fresh generation
// would; an ask after the next frame runs it once more, about the new frame.
func TestAskAboutACaptionedFrameReusesItsImagePath(t *testing.T) {
	m := loadShapes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	triggers := make(chan struct{}, 1)
	asks := make(chan mqtt.Ask, 1)
	captions := make(chan mqtt.Caption, 4)
	answers := make(chan mqtt.Answer, 4)
	var mu sync.Mutex
	frames := map[uint64]camera.Frame{}
	framed := make(chan uint64, 8)
	cfg := Config{
		Camera:   CameraConfig{Source: "synthetic", MaxFPS: 0.25, ScenePeriod: 1},
		Schedule: ScheduleConfig{Mode: "trigger"},
		MQTT:     mqtt.Config{EmbeddedAddr: "127.0.0.1:0", DeviceID: "reuse"},
	}
	opts := Options{Triggers: triggers, Asks: asks,
		OnCaption: func(c mqtt.Caption) { captions <- c },
		OnAnswer:  func(a mqtt.Answer) { answers <- a },
		OnFrame: func(f camera.Frame) {
			mu.Lock()
			frames[f.Seq] = f
			mu.Unlock()
			framed <- f.Seq
		},
	}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, m, opts) }()
	next := func(what string, ch any) any {
		t.Helper()
		switch c := ch.(type) {
		case chan mqtt.Caption:
			select {
			case v := <-c:
				return v
			case <-ctx.Done():
			}
		case chan mqtt.Answer:
			select {
			case v := <-c:
				return v
			case <-ctx.Done():
			}
		case chan uint64:
			select {
			case v := <-c:
				return v
			case <-ctx.Done():
			}
		}
		t.Fatalf("no %s within the test's time", what)
		return nil
	}

	require.Equal(t, uint64(1), next("first frame", framed))
	runs := m.ImagePathRuns()
	triggers <- struct{}{}
	c := next("caption", captions).(mqtt.Caption)
	require.Equal(t, runs+1, m.ImagePathRuns(), "a caption runs the image path once")

	questions := []string{"what color is it?", "what shape is it?"}
	var reused []mqtt.Answer
	for i, q := range questions {
		asks <- mqtt.Ask{ID: fmt.Sprint("same-", i), Question: q}
		a := next("answer", answers).(mqtt.Answer)
		require.Equal(t, uint64(1), a.Seq, "the camera gives a frame every 4 s: the ask is about the captioned frame")
		require.True(t, a.FrameTime.Equal(c.FrameTime))
		require.Equal(t, runs+1, m.ImagePathRuns(), "an ask about the captioned frame ran the image path")
		reused = append(reused, a)
	}

	require.Equal(t, uint64(2), next("second frame", framed))
	asks <- mqtt.Ask{ID: "new", Question: questions[0]}
	a := next("answer", answers).(mqtt.Answer)
	require.Equal(t, uint64(2), a.Seq, "the ask is about the newest frame")
	require.Equal(t, runs+2, m.ImagePathRuns(), "a new frame runs the image path once")

	cancel()
	require.NoError(t, <-done)
	// The reused prefix answers as a fresh run of the whole model on that frame does.
	mu.Lock()
	defer mu.Unlock()
	for i, q := range questions {
		fresh, err := m.Generate(context.Background(), frames[1].Image, "Question: "+q+" Answer:", m.DefaultGenerateOptions())
		require.NoError(t, err)
		require.Equal(t, fresh.Text, reused[i].Text, q)
		require.Equal(t, fresh.Tokens, reused[i].TokenIDs, q)
	}
}

// Bad cameras: entries are named by index and id.
func TestCamerasValidateNamesTheEntry(t *testing.T) {
	two := func(a, b string) []NamedCamera {
		return []NamedCamera{{ID: a, CameraConfig: CameraConfig{Source: "synthetic"}}, {ID: b, CameraConfig: CameraConfig{Source: "synthetic"}}}
	}
	for _, tc := range []struct {
		cams   []NamedCamera
		camera CameraConfig
		want   string
	}{
		{two("a", "a/b"), CameraConfig{}, `cameras[1].id "a/b": not a valid MQTT topic level`},
		{two("a", "x+"), CameraConfig{}, `cameras[1].id "x+"`},
		{two("#", "b"), CameraConfig{}, `cameras[0].id "#"`},
		{two("a", ""), CameraConfig{}, `cameras[1].id: missing`},
		{two("door", "door"), CameraConfig{}, `cameras[1].id "door": also the id of cameras[0]`},
		{two("a", "b"), CameraConfig{Source: "/dev/video0"}, `cameras: excludes camera`},
		{[]NamedCamera{{ID: "a", CameraConfig: CameraConfig{OnEnd: "explode"}}}, CameraConfig{}, `cameras[0].on_end: "explode"`},
		{[]NamedCamera{{ID: "a", CameraConfig: CameraConfig{MaxFPS: -1}}}, CameraConfig{}, `cameras[0]: max_fps`},
	} {
		c := Config{Cameras: tc.cams, Camera: tc.camera}
		c.MQTT.DeviceID = "x"
		c.Defaults()
		err := c.Validate()
		require.Error(t, err, tc.want)
		require.Contains(t, err.Error(), tc.want)
	}
	good := Config{Cameras: two("door", "yard"), BatchMax: 2}
	good.MQTT.ClientID = "edge-box"
	good.Defaults()
	require.NoError(t, good.Validate())
	per := good.PerCamera()
	require.Len(t, per, 2)
	require.Equal(t, "yard", per[1].MQTT.DeviceID)
	require.Equal(t, "edge-box-yard", per[1].MQTT.ClientID, "one client id per camera")
	require.Equal(t, "synthetic", per[1].Camera.Source)
	require.Nil(t, per[1].Cameras)
}

// Two synthetic cameras on one model and one embedded broker: each publishes captions
// on its own topics, and a camera whose source ends (on_end stop) ends alone while the
// other goes on until ctx ends.
func TestRunCamerasEachOnItsOwnTopics(t *testing.T) {
	m := loadShapes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	broker, err := mqtt.StartEmbedded(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer broker.Close()
	cfg := Config{
		Cameras: []NamedCamera{
			{ID: "short", CameraConfig: CameraConfig{Source: "synthetic", MaxFPS: 10, Frames: 3, OnEnd: "stop"}},
			{ID: "long", CameraConfig: CameraConfig{Source: "synthetic", MaxFPS: 10}},
		},
		Schedule: ScheduleConfig{Mode: "continuous"},
		MQTT:     mqtt.Config{Broker: broker.URL()},
	}
	captions := make(chan string, 64)
	opts := make([]Options, 2)
	for i, id := range []string{"short", "long"} {
		opts[i].OnCaption = func(mqtt.Caption) {
			select {
			case captions <- id:
			default:
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- RunCameras(ctx, cfg, m, opts) }()
	seen := map[string]int{}
	for seen["long"] < 6 {
		select {
		case id := <-captions:
			seen[id]++
		case err := <-done:
			t.Fatalf("RunCameras ended early: %v", err)
		case <-ctx.Done():
			t.Fatalf("captions so far: %v", seen)
		}
	}
	require.Positive(t, seen["short"], "the short camera captioned before it ended")
	cancel()
	require.NoError(t, <-done)
}
