package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/edgevlm/edge/board/jetson"
	"github.com/edgevlm/edge/loop"
	"github.com/edgevlm/edge/mqtt"
)

func runCommand() command {
	c := command{name: "run", summary: "The camera loop: describe frames and answer questions over MQTT."}
	c.usage = `Usage: edge run [--config edge.yaml] [flags]

Reads frames from a camera, describes them when the schedule says so, and publishes
captions on <prefix>/<device>/caption. Questions published on <prefix>/<device>/ask as
{"id":"1","question":"what color is the background?","session":"optional"} are answered
on <prefix>/<device>/answer; any message on <prefix>/<device>/trigger asks for a
description now. The retained <prefix>/<device>/status says "online" (and "offline" as the
last will). Without a broker, an embedded one listens on 127.0.0.1:1883.

Several cameras share one loaded model: repeat --camera as ID=SOURCE (or list them under
cameras: in the YAML file). Each camera is its own device in the topics, <prefix>/<ID>/…,
and frames of several cameras that wait for the model go through its image path as one
batch (batch_max, default 4).

Settings come from the YAML file, then environment variables (EDGE_MODEL, EDGE_DTYPE, EDGE_CAMERA,
EDGE_MODE, EDGE_INTERVAL, EDGE_PROMPT, EDGE_MQTT_BROKER, EDGE_MQTT_USERNAME,
EDGE_MQTT_PASSWORD, EDGE_MQTT_PREFIX, EDGE_DEVICE_ID, EDGE_MAX_MEMORY), then flags; later
ones win.

Examples:
  edge run                                   # synthetic scenes, embedded broker
  edge run --camera /dev/video0 --mode change --broker tcp://192.168.1.10:1883
  edge run --camera door=rtsp://10.0.0.5/stream --camera yard=/dev/video1 --broker tcp://192.168.1.10:1883
  edge run --camera 'nvarguscamerasrc ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! appsink'
  edge run --config /etc/edge.yaml --print
  edge run --http 127.0.0.1:11434            # and the OpenAI/Ollama HTTP API about the latest frame
  curl -s http://127.0.0.1:11434/v1/frames/latest -o frame.jpg
  mosquitto_sub -t 'edge/+/caption'          # watch the captions
  mosquitto_pub -t edge/cam1/ask -m '{"id":"1","question":"how many shapes are there?"}'
  edge run --speak                           # captions and answers spoken (espeak-ng, ALSA)
  edge run --speak-to /tmp/spoken            # ... written as WAV files instead
  edge run --speak --listen                  # Enter (or --button-pin) asks a spoken question
  edge run --speak-to out --listen --microphone q.wav   # a WAV file as the microphone`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		configPath := fs.String("config", "", "YAML configuration file")
		var mf modelFlags
		mf.register(fs)
		var cams cameraFlags
		fs.Var(&cams, "camera", `frame source: synthetic, an image file or folder, a video file, a device index, /dev/videoN, a GStreamer pipeline or an RTSP URL (default "synthetic"); repeat as ID=SOURCE for several cameras, each its own MQTT device ID`)
		maxFPS := fs.Float64("max-fps", 0, "read at most this many frames per second")
		onEnd := fs.String("on-end", "", "when the camera ends: stop, loop or reopen")
		mode := fs.String("mode", "", "when to describe: interval, change, trigger or continuous (default interval)")
		interval := fs.Duration("interval", 0, "time between descriptions in interval mode (default 5s)")
		threshold := fs.Float64("change-threshold", 0, "scene-change threshold in change mode (mean abs difference of 32x32 thumbnails)")
		prompt := fs.String("prompt", "", "text each caption continues")
		maxNew := fs.Int("max-new-tokens", 0, "most tokens per caption or answer (default 30)")
		broker := fs.String("broker", "", "MQTT broker URL (tcp://, ssl://, ws://); empty starts an embedded broker")
		embedded := fs.String("embedded-addr", "", "address of the embedded broker (default 127.0.0.1:1883)")
		prefix := fs.String("prefix", "", `MQTT topic prefix (default "edge")`)
		deviceID := fs.String("device-id", "", "device id in topics (default: host name)")
		user := fs.String("username", "", "MQTT user name")
		duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
		print := fs.Bool("print", false, "print captions and answers to stdout as they are published")
		verbose := fs.Bool("v", false, "log connection events")
		buttonPin := fs.Int("button-pin", 0, "40-pin header pin of a push button that asks for a description now (Jetson; 0: none)")
		ledPin := fs.Int("led-pin", 0, "40-pin header pin of a status LED: off idle, on working, blinking on error (Jetson; 0: none)")
		httpAddr := fs.String("http", "", "serve the OpenAI and Ollama HTTP API on this address too, e.g. 127.0.0.1:11434 (see edge serve --help)")
		apiKey := fs.String("api-key", "", "bearer token for the HTTP API (default $EDGE_API_KEY); required for a non-loopback --http")
		thermal := fs.String("thermal", "auto", "follow the board's temperature: throttle above 80 °C, pause above 95 °C (auto: on a Jetson)")
		speak := fs.Bool("speak", false, "speak captions and answers with espeak-ng on the ALSA device")
		speakTo := fs.String("speak-to", "", "write the spoken captions and answers as WAV files in this folder")
		listen := fs.Bool("listen", false, "voice questions: Enter or the button records one (arecord), pocketsphinx hears it")
		listenMode := fs.String("listen-mode", "", "grammar (the model's questions, default) or open (any sentence, less accurate)")
		grammar := fs.String("grammar", "", "JSGF grammar file for --listen (default: the shapes model's questions)")
		microphone := fs.String("microphone", "", "WAV file heard instead of recording (tests)")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		cfg, sc, err := loadRunConfigSpeech(*configPath)
		if err != nil {
			return err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		str := func(name string, dst *string, v string) {
			if set[name] {
				*dst = v
			}
		}
		str("model", &cfg.Model.Dir, mf.model)
		str("device", &cfg.Model.Device, mf.device)
		str("max-memory", &cfg.Model.MaxMemory, mf.maxMemory)
		if err := applyCameraFlags(&cfg, cams); err != nil {
			return err
		}
		if set["on-end"] {
			eachCamera(&cfg, func(c *loop.CameraConfig) { c.OnEnd = *onEnd })
		}
		str("mode", &cfg.Schedule.Mode, *mode)
		str("prompt", &cfg.Prompt, *prompt)
		str("broker", &cfg.MQTT.Broker, *broker)
		str("embedded-addr", &cfg.MQTT.EmbeddedAddr, *embedded)
		str("prefix", &cfg.MQTT.Prefix, *prefix)
		str("device-id", &cfg.MQTT.DeviceID, *deviceID)
		str("username", &cfg.MQTT.Username, *user)
		str("http", &cfg.HTTP.Addr, *httpAddr)
		if v, ok := os.LookupEnv("EDGE_API_KEY"); ok && !set["api-key"] {
			cfg.HTTP.APIKey = v
		}
		str("api-key", &cfg.HTTP.APIKey, *apiKey)
		sc.Speak = sc.Speak || *speak
		str("speak-to", &sc.To, *speakTo)
		sc.Listen = sc.Listen || *listen
		str("listen-mode", &sc.Ear.Mode, *listenMode)
		str("grammar", &sc.Ear.Grammar, *grammar)
		str("microphone", &sc.Ear.Microphone, *microphone)
		if set["threads"] {
			cfg.Model.Threads = mf.threads
		}
		if set["int8"] {
			cfg.Model.Int8 = mf.int8
		}
		if set["int4"] {
			cfg.Model.Int4 = mf.int4
		}
		if set["dtype"] {
			cfg.Model.DType = mf.dtype
		}
		if set["max-fps"] {
			eachCamera(&cfg, func(c *loop.CameraConfig) { c.MaxFPS = *maxFPS })
		}
		if set["interval"] {
			cfg.Schedule.Interval = *interval
		}
		if set["change-threshold"] {
			cfg.Schedule.ChangeThreshold = *threshold
		}
		if set["max-new-tokens"] {
			cfg.MaxNewTokens = *maxNew
		}
		cfg.Defaults()
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("configuration: %s", oneLine(err))
		}
		level := slog.LevelWarn
		if *verbose {
			level = slog.LevelInfo
		}
		logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		boardInfo, _ := jetson.Detect("/")
		board := boardInfo.Model
		if boardInfo.IsJetson {
			board = fmt.Sprintf("%s (L4T %s)", boardInfo.Model, boardInfo.L4T)
		}
		if len(cfg.Cameras) > 1 && cfg.MQTT.Broker == "" {
			// One embedded broker for every camera's client, up until the last is closed.
			b, err := mqtt.StartEmbedded(context.Background(), cfg.MQTT.EmbeddedAddr)
			if err != nil {
				return fmt.Errorf("mqtt: no broker configured and the embedded one failed: %w", err)
			}
			defer b.Close()
			cfg.MQTT.Broker = b.URL()
		}
		// The MQTT clients come before the model, so that each camera's status says
		// "loading" (and how far) through a load of tens of seconds.
		var clients []*mqtt.Client
		mf = modelFlags{model: cfg.Model.Dir, device: cfg.Model.Device, threads: cfg.Model.Threads, maxMemory: cfg.Model.MaxMemory, dtype: cfg.Model.DType}
		mf.beforeLoad = func(dir string) error {
			var err error
			clients, err = newClients(ctx, cfg, logger)
			mf.onProgress = loadingStatuses(clients, filepath.Base(dir), board)
			mf.onProgress(0, 1)
			return err
		}
		m, err := mf.loadWith(e, cfg.Model.Int8, cfg.Model.Int4)
		if err != nil {
			for _, c := range clients {
				_ = c.PublishStatus(mqtt.Status{State: mqtt.StateError, Version: version, Board: board,
					Stats: map[string]any{"error": oneLine(err)}})
				c.Close()
			}
			return err
		}
		defer m.Close()
		handed := false // to loop.RunCameras, which closes the clients
		defer func() {
			for _, c := range clients {
				if !handed {
					c.Close()
				}
			}
		}()
		if *duration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *duration)
			defer cancel()
		}
		hw, err := startBoard(ctx, e, boardInfo, *buttonPin, *ledPin, *thermal)
		if err != nil {
			return err
		}
		shared := loop.Options{Logger: logger, Version: version, Board: board, OnWork: hw.onWork}
		var listenOn <-chan struct{}
		if sc.Listen {
			listenOn, hw.triggers = hw.triggers, nil // the button asks a question instead
		}
		ids, sources := cameraNames(cfg)
		triggers, thermals := fanOut(ctx, hw.triggers, len(ids)), fanOut(ctx, hw.thermal, len(ids))
		opts := make([]loop.Options, len(ids))
		for i := range ids {
			opts[i] = cameraOptions(shared, clients[i], ids[i], sources[i], len(ids) > 1, *print, e.stdout, e.stderr)
			opts[i].Triggers, opts[i].Thermal = triggers[i], thermals[i]
		}
		runCtx, stopHTTP := context.WithCancel(ctx)
		defer stopHTTP()
		// The HTTP API's camera:latest is the first camera's frame; its lock is every camera's.
		waitHTTP, err := startRunHTTP(runCtx, e, cfg.HTTP, m, ids[0], &opts[0])
		if err != nil {
			return err
		}
		stopHup := ignoreHangup(e.stderr)
		defer stopHup()
		startSpeech(ctx, e, sc, &opts[0], listenOn) // speech follows the first camera
		handed = true
		err = loop.RunCameras(ctx, cfg, m, opts)
		stopHTTP()
		waitHTTP()
		if errors.Is(err, context.DeadlineExceeded) {
			return nil // --duration ran out
		}
		return err
	}
	return c
}

// loadRunConfig reads the YAML file (if any) and then the environment.
func loadRunConfig(path string) (loop.Config, error) {
	cfg, _, err := loadRunConfigSpeech(path)
	return cfg, err
}

// loadRunConfigSpeech also returns the file's speech: section.
func loadRunConfigSpeech(path string) (loop.Config, speechConfig, error) {
	var file struct {
		loop.Config `yaml:",inline"`
		Speech      speechConfig `yaml:"speech"`
	}
	cfg, err := loadRunConfigInto(path, &file.Config, &file)
	return cfg, file.Speech, err
}

func loadRunConfigInto(path string, dst *loop.Config, doc any) (loop.Config, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return *dst, fmt.Errorf("config %s: %w", path, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(doc); err != nil && !errors.Is(err, io.EOF) {
			return *dst, fmt.Errorf("config %s: %s", path, oneLine(err))
		}
	}
	cfg := dst
	envs := map[string]*string{
		"EDGE_MODEL": &cfg.Model.Dir, "EDGE_DTYPE": &cfg.Model.DType, "EDGE_CAMERA": &cfg.Camera.Source, "EDGE_MODE": &cfg.Schedule.Mode,
		"EDGE_PROMPT": &cfg.Prompt, "EDGE_MQTT_BROKER": &cfg.MQTT.Broker, "EDGE_MQTT_USERNAME": &cfg.MQTT.Username,
		"EDGE_MQTT_PASSWORD": &cfg.MQTT.Password, "EDGE_MQTT_PREFIX": &cfg.MQTT.Prefix, "EDGE_DEVICE_ID": &cfg.MQTT.DeviceID,
		"EDGE_MAX_MEMORY": &cfg.Model.MaxMemory,
	}
	for k, dst := range envs {
		if v, ok := os.LookupEnv(k); ok {
			*dst = v
		}
	}
	if v, ok := os.LookupEnv("EDGE_INTERVAL"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			if secs, err2 := strconv.ParseFloat(v, 64); err2 == nil {
				d = time.Duration(secs * float64(time.Second))
			} else {
				return *cfg, fmt.Errorf("EDGE_INTERVAL=%q: %w", v, err)
			}
		}
		cfg.Schedule.Interval = d
	}
	return *cfg, nil
}

// boardIO is what a board adds to the loop: a button, an LED and the thermal governor.
type boardIO struct {
	triggers <-chan struct{}
	thermal  <-chan loop.Thermal
	onWork   func(state string)
}

func startBoard(ctx context.Context, e env, b jetson.Board, buttonPin, ledPin int, thermal string) (boardIO, error) {
	var io boardIO
	switch thermal {
	case "on", "auto":
		if thermal == "on" || b.IsJetson {
			gov, err := jetson.NewThermalGovernor(jetson.GovernorConfig{})
			if err != nil {
				return io, err
			}
			decisions := gov.Watch(ctx, 2*time.Second)
			out := make(chan loop.Thermal, 1)
			go func() {
				defer close(out)
				for d := range decisions {
					select {
					case out <- loop.Thermal{State: string(d.State), FPSFactor: d.FPSFactor, Reason: d.Reason}:
					case <-ctx.Done():
						return
					}
				}
			}()
			io.thermal = out
		}
	case "off":
	default:
		return io, usagef("--thermal must be auto, on or off")
	}
	if buttonPin != 0 {
		pin, err := jetson.OpenPin(b, buttonPin)
		if err != nil {
			return io, fmt.Errorf("--button-pin %d: %w", buttonPin, err)
		}
		presses := make(chan struct{}, 1)
		button := &jetson.Button{Pin: pin, ActiveLow: true}
		go func() {
			if err := button.Run(ctx, func() {
				select {
				case presses <- struct{}{}:
				default:
				}
			}); err != nil {
				fmt.Fprintf(e.stderr, "edge run: button: %v\n", err)
			}
		}()
		io.triggers = presses
	}
	if ledPin != 0 {
		pin, err := jetson.OpenPin(b, ledPin)
		if err != nil {
			return io, fmt.Errorf("--led-pin %d: %w", ledPin, err)
		}
		led := jetson.NewLED(pin, false)
		go func() { _ = led.Run(ctx) }()
		io.onWork = func(state string) {
			switch state {
			case "working":
				led.Set(jetson.StateWorking)
			case "error":
				led.Set(jetson.StateError)
			default:
				led.Set(jetson.StateIdle)
			}
		}
	}
	return io, nil
}

// newClients makes one MQTT client per camera, each with its camera's device id.
// On an error the clients made so far are returned, for the caller to close.
func newClients(ctx context.Context, cfg loop.Config, logger *slog.Logger) ([]*mqtt.Client, error) {
	var clients []*mqtt.Client
	for _, one := range cfg.PerCamera() {
		mcfg := one.MQTT
		mcfg.Logger = logger
		c, err := mqtt.New(ctx, mcfg)
		if err != nil {
			return clients, fmt.Errorf("mqtt: %w", err)
		}
		clients = append(clients, c)
	}
	return clients, nil
}

// loadingStatuses is loadingStatus for every camera's client.
func loadingStatuses(clients []*mqtt.Client, model, board string) func(done, total int64) {
	each := make([]func(done, total int64), len(clients))
	for i, c := range clients {
		each[i] = loadingStatus(c, model, board)
	}
	return func(done, total int64) {
		for _, f := range each {
			f(done, total)
		}
	}
}

// loadingStatus publishes the retained status "loading" with how far the load is, at
// most every 2 s and at the end.
func loadingStatus(c *mqtt.Client, model, board string) func(done, total int64) {
	var last time.Time
	return func(done, total int64) {
		if done < total && done > 0 && time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		_ = c.PublishStatus(mqtt.Status{State: mqtt.StateLoading, Model: model, Version: version, Board: board,
			Stats: map[string]any{"loaded_bytes": done, "total_bytes": total, "loaded_fraction": float64(done) / float64(max(total, 1))}})
	}
}
