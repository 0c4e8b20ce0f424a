// Package gocvsrc opens OpenCV (gocv) video sources: a camera by index or /dev/videoN, a
// GStreamer pipeline, a video file, or an RTSP/HTTP stream, as camera.Sources.
//
// It needs cgo and OpenCV 4 (pkg-config opencv4). Built with CGO_ENABLED=0 or the tag
// nogocv, Open and WriteVideo return ErrNoOpenCV instead, so the rest of the program still
// builds and cross-compiles.
//
// Tests that count open Mats need gocv's Mat profile, which only exists with the build
// tag matprofile:
//
//	go test -race -tags matprofile ./camera/gocvsrc/
//
// Its room in docs/architecture.md: devices: imports only camera.
package gocvsrc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgevlm/edge/camera"
)

// ErrNoOpenCV is returned by Open and WriteVideo in a build without OpenCV.
var ErrNoOpenCV = errors.New("gocvsrc: built without OpenCV (CGO_ENABLED=0 or tag nogocv)")

// Kind is what a spec names.
type Kind string

const (
	KindDevice    Kind = "device"    // a camera by index: "0", or "/dev/video0"
	KindV4L2Path  Kind = "v4l2"      // another /dev path opened through V4L2 ("/dev/v4l/by-id/…")
	KindGStreamer Kind = "gstreamer" // a pipeline: contains '!' and ends in appsink
	KindURL       Kind = "url"       // rtsp://, rtsps://, rtmp://, http://, https://, udp://, tcp://
	KindFile      Kind = "file"      // anything else: a video file path
)

// Spec is a parsed source spec.
type Spec struct {
	Kind   Kind
	Device int    // for KindDevice
	Target string // the path, pipeline or URL; for KindDevice the spec as given
}

var urlSchemes = []string{"rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://"}

// ParseSpec says what a source spec names.
func ParseSpec(spec string) (Spec, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return Spec{}, errors.New("gocvsrc: empty source spec")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return Spec{}, fmt.Errorf("gocvsrc: source %q: device index must not be negative", spec)
		}
		return Spec{Kind: KindDevice, Device: n, Target: s}, nil
	}
	if strings.Contains(s, "!") {
		if !strings.Contains(s, "appsink") {
			return Spec{}, fmt.Errorf("gocvsrc: GStreamer pipeline %q: it must end in appsink for OpenCV to read it", spec)
		}
		return Spec{Kind: KindGStreamer, Target: s}, nil
	}
	lower := strings.ToLower(s)
	for _, scheme := range urlSchemes {
		if strings.HasPrefix(lower, scheme) {
			return Spec{Kind: KindURL, Target: s}, nil
		}
	}
	if rest, ok := strings.CutPrefix(s, "/dev/video"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return Spec{}, fmt.Errorf("gocvsrc: source %q: want /dev/video<N>", spec)
		}
		return Spec{Kind: KindDevice, Device: n, Target: s}, nil
	}
	if strings.HasPrefix(s, "/dev/") {
		return Spec{Kind: KindV4L2Path, Target: s}, nil
	}
	return Spec{Kind: KindFile, Target: s}, nil
}

// Options tunes how a source is opened. Zero values leave the driver's defaults.
type Options struct {
	Width, Height int     // capture size to ask a device for
	FPS           float64 // frame rate to ask a device for
	// BufferSize is the driver's frame queue; 1 keeps frames fresh on live sources that
	// are read slower than they run. 0 leaves the default.
	BufferSize int
	// Name overrides the source's name (which is the spec otherwise, for logs and MQTT).
	Name string
	// StallTimeout, when positive, bounds each open and read of OpenReopening's source:
	// a stream that stops sending without closing is given up after it and reopened
	// (see camera.StallGuard). Stalls, when set, counts what the guards saw.
	StallTimeout time.Duration
	Stalls       *camera.StallStats
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Width < 0 || o.Height < 0 || o.FPS < 0 || o.BufferSize < 0 || o.StallTimeout < 0 {
		return fmt.Errorf("gocvsrc: options: sizes, FPS, buffer size and stall timeout must not be negative (width %d, height %d, fps %v, buffer %d, stall %v)", o.Width, o.Height, o.FPS, o.BufferSize, o.StallTimeout)
	}
	return nil
}
