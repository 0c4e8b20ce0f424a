// Package loop is the product's main job: frames from a camera go through the model
// when the scheduler says so, captions and answers go out over MQTT, and questions come
// in over MQTT. It runs until its context ends. Several cameras share one model, each
// its own MQTT device, their image paths batched when they wait for the model together.
//
// Its room in docs/architecture.md: loop: imports camera, camera/gocvsrc, loop/scheduler, models/blip2, mqtt and runtime; only the CLI imports it.
package loop

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edgevlm/edge/board/memory"
	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/loop/scheduler"
	"github.com/edgevlm/edge/mqtt"
)

// Config is everything `edge run` reads from its YAML file, environment and flags.
type Config struct {
	Model  ModelConfig  `yaml:"model"`
	Camera CameraConfig `yaml:"camera"`
	// Cameras, instead of Camera, runs several cameras on the one model: each is its
	// own device in MQTT topics (its ID is the device id).
	Cameras []NamedCamera `yaml:"cameras"`
	// BatchMax is the most camera frames whose image paths run as one batch (default 4).
	BatchMax int            `yaml:"batch_max"`
	Schedule ScheduleConfig `yaml:"schedule"`
	// Prompt is the text each caption continues ("" for a plain caption).
	Prompt       string      `yaml:"prompt"`
	MaxNewTokens int         `yaml:"max_new_tokens"`
	Beams        int         `yaml:"beams"`
	MQTT         mqtt.Config `yaml:"mqtt"`
	Chat         ChatConfig  `yaml:"chat"`
	HTTP         HTTPConfig  `yaml:"http"`
	// StatusInterval is how often the retained status (with counters) is refreshed.
	StatusInterval time.Duration `yaml:"status_interval"`
}

// ModelConfig says which model runs where.
type ModelConfig struct {
	Dir     string `yaml:"dir"`     // checkpoint folder; empty: the embedded shapes model
	Device  string `yaml:"device"`  // cpu or cuda
	Threads int    `yaml:"threads"` // 0: every core
	Int8    bool   `yaml:"int8"`    // quantize on load
	Int4    bool   `yaml:"int4"`    // quantize on load, the language model in int4
	// MaxMemory refuses a model that would take more (7G, 7000M, 6.5GiB); empty: the
	// cgroup's memory limit, else the memory available when it loads.
	MaxMemory string `yaml:"max_memory"`
	// DType is the precision of the float weight matrices: auto (the default: 16-bit
	// as stored, fp32 as fp32), fp32, fp16 or bf16; int8 wins where it quantizes.
	DType string `yaml:"dtype"`
}

// CameraConfig says where frames come from.
type CameraConfig struct {
	// Source: "synthetic" (rendered scenes), an image file or folder, a video file, a
	// device index or /dev/videoN, a GStreamer pipeline (contains "!"), or an RTSP URL.
	Source string `yaml:"source"`
	// MaxFPS caps how fast frames are read (0: as fast as the source gives them).
	MaxFPS float64 `yaml:"max_fps"`
	// OnEnd: what to do when the source ends or fails: "stop" (end the run), "loop"
	// (start over at once) or "reopen" (reopen with backoff). Default: "reopen" for
	// devices and streams, "stop" for files and folders.
	OnEnd string `yaml:"on_end"`
	// Width, Height and FPS are asked of a capture device (0: the driver's default).
	Width  int     `yaml:"width"`
	Height int     `yaml:"height"`
	FPS    float64 `yaml:"fps"`
	// Seed, ScenePeriod and Frames shape the synthetic source: a new scene every
	// ScenePeriod frames, Frames in all (0: endless).
	Seed        int64  `yaml:"seed"`
	ScenePeriod int    `yaml:"scene_period"`
	Frames      uint64 `yaml:"frames"`
	// StallTimeout: a device or stream that gives no frame for this long (it stopped
	// sending without closing) is taken for stalled, reported in the status and
	// reopened with backoff. Default 5s.
	StallTimeout time.Duration `yaml:"stall_timeout"`
}

// NamedCamera is one entry of cameras: its id (its MQTT device id) and its settings.
type NamedCamera struct {
	ID           string `yaml:"id"`
	CameraConfig `yaml:",inline"`
}

// DefaultBatchMax is how many frames' image paths run together at most.
const DefaultBatchMax = 4

// ScheduleConfig says when frames are described.
type ScheduleConfig struct {
	Mode            string        `yaml:"mode"` // interval, change, trigger or continuous
	Interval        time.Duration `yaml:"interval"`
	ChangeThreshold float64       `yaml:"change_threshold"`
	MaxFPS          float64       `yaml:"max_fps"`
}

// ChatConfig bounds the chat sessions kept for askers.
type ChatConfig struct {
	MaxSessions int           `yaml:"max_sessions"`
	SessionTTL  time.Duration `yaml:"session_ttl"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Model.Device == "" {
		c.Model.Device = "cpu"
	}
	if c.Model.DType == "" {
		c.Model.DType = "auto"
	}
	if len(c.Cameras) == 0 {
		c.Camera.defaults()
	}
	c.Cameras = slices.Clone(c.Cameras) // the caller's entries stay as they were
	for i := range c.Cameras {
		c.Cameras[i].defaults()
	}
	if c.BatchMax == 0 {
		c.BatchMax = DefaultBatchMax
	}
	if c.Schedule.Mode == "" {
		c.Schedule.Mode = string(scheduler.ModeInterval)
	}
	if c.Schedule.Interval == 0 {
		c.Schedule.Interval = 5 * time.Second
	}
	if c.MaxNewTokens == 0 {
		c.MaxNewTokens = 30
	}
	if c.Beams == 0 {
		c.Beams = 1
	}
	if c.Chat.MaxSessions == 0 {
		c.Chat.MaxSessions = 64
	}
	if c.Chat.SessionTTL == 0 {
		c.Chat.SessionTTL = 10 * time.Minute
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = 30 * time.Second
	}
}

func (c *CameraConfig) defaults() {
	if c.Source == "" {
		c.Source = "synthetic"
	}
	if c.Source == "synthetic" && c.MaxFPS == 0 {
		c.MaxFPS = 5
	}
	if c.Source == "synthetic" && c.ScenePeriod == 0 {
		c.ScenePeriod = 10
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = camera.DefaultStallTimeout
	}
}

// PerCamera is the configuration of each camera's loop: cfg with Camera set to that
// camera and, for an entry of Cameras, the MQTT device id (and a set client id) made its.
func (c Config) PerCamera() []Config {
	if len(c.Cameras) == 0 {
		return []Config{c}
	}
	out := make([]Config, len(c.Cameras))
	for i, cam := range c.Cameras {
		one := c
		one.Cameras, one.Camera = nil, cam.CameraConfig
		one.MQTT.DeviceID = cam.ID
		if c.MQTT.ClientID != "" { // two clients with one id push each other off the broker
			one.MQTT.ClientID = c.MQTT.ClientID + "-" + cam.ID
		}
		out[i] = one
	}
	return out
}

// Validate reports every bad field, each naming it.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch c.Model.Device {
	case "cpu", "cuda":
	default:
		bad("model.device", "%q is not cpu or cuda", c.Model.Device)
	}
	if c.Model.Int8 && c.Model.Int4 {
		bad("model.int4", "excludes model.int8: pick one")
	}
	if c.Model.Threads < 0 {
		bad("model.threads", "must not be negative")
	}
	if c.Model.MaxMemory != "" {
		if _, err := memory.ParseSize(c.Model.MaxMemory); err != nil {
			bad("model.max_memory", "%v", err)
		}
	}
	switch strings.ToLower(c.Model.DType) {
	case "", "auto", "fp32", "fp16", "bf16":
	default:
		bad("model.dtype", "%q is not auto, fp32, fp16 or bf16", c.Model.DType)
	}
	switch scheduler.Mode(c.Schedule.Mode) {
	case scheduler.ModeInterval, scheduler.ModeChange, scheduler.ModeTrigger, scheduler.ModeContinuous:
	default:
		bad("schedule.mode", "%q is not interval, change, trigger or continuous", c.Schedule.Mode)
	}
	if c.Schedule.Interval < 0 || c.Schedule.MaxFPS < 0 || c.Schedule.ChangeThreshold < 0 {
		bad("schedule", "interval, max_fps and change_threshold must not be negative")
	}
	if len(c.Cameras) > 0 && c.Camera != (CameraConfig{}) {
		bad("cameras", "excludes camera: give every camera an entry of cameras")
	}
	if len(c.Cameras) == 0 {
		errs = append(errs, c.Camera.validate("camera")...)
	}
	errs = append(errs, validateCameras(c.Cameras)...)
	if c.BatchMax < 0 {
		bad("batch_max", "must not be negative")
	}
	if c.MaxNewTokens < 1 {
		bad("max_new_tokens", "must be at least 1")
	}
	if c.Beams < 1 {
		bad("beams", "must be at least 1")
	}
	if c.Chat.MaxSessions < 1 || c.Chat.SessionTTL < 0 {
		bad("chat", "max_sessions must be at least 1 and session_ttl not negative")
	}
	if err := c.MQTT.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("mqtt: %w", err))
	}
	return errors.Join(errs...)
}

// validate reports the camera's bad fields, each named under field.
func (c CameraConfig) validate(field string) []error {
	var errs []error
	switch camera.OnEnd(c.OnEnd) {
	case "", camera.EndStop, camera.EndLoop, camera.EndReopen:
	default:
		errs = append(errs, fmt.Errorf("%s.on_end: %q is not stop, loop or reopen", field, c.OnEnd))
	}
	if c.MaxFPS < 0 || c.Width < 0 || c.Height < 0 || c.FPS < 0 || c.StallTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s: max_fps, width, height, fps and stall_timeout must not be negative", field))
	}
	return errs
}

// validateCameras checks each entry and that the ids, which become MQTT topic levels,
// are present, unique and free of '/', '+' and '#'.
func validateCameras(cams []NamedCamera) []error {
	var errs []error
	seen := map[string]int{}
	for i, cam := range cams {
		field := fmt.Sprintf("cameras[%d]", i)
		switch {
		case cam.ID == "":
			errs = append(errs, fmt.Errorf("%s.id: missing: every camera needs an id (its MQTT device id)", field))
		case strings.ContainsAny(cam.ID, "/+#") || !utf8.ValidString(cam.ID) || strings.ContainsRune(cam.ID, 0):
			errs = append(errs, fmt.Errorf("%s.id %q: not a valid MQTT topic level (no '/', '+', '#' or NUL)", field, cam.ID))
		default:
			if j, dup := seen[cam.ID]; dup {
				errs = append(errs, fmt.Errorf("%s.id %q: also the id of cameras[%d]", field, cam.ID, j))
			}
			seen[cam.ID] = i
		}
		errs = append(errs, cam.validate(field)...)
	}
	return errs
}
