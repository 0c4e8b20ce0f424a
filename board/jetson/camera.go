package jetson

import (
	"errors"
	"fmt"
	"strings"
)

// Camera kinds.
const (
	CameraCSI = "csi" // MIPI CSI sensor through libargus (nvarguscamerasrc)
	CameraUSB = "usb" // V4L2 device (v4l2src)
)

// Defaults for zero fields of CameraConfig.
const (
	DefaultCameraWidth  = 1280
	DefaultCameraHeight = 720
	DefaultCameraFPS    = 30
	DefaultUSBDevice    = "/dev/video0"
)

// CameraConfig describes a camera as a GStreamer source for gocv's
// VideoCapture (CAP_GSTREAMER). Frames come out of appsink as BGR, and appsink
// keeps only the newest frame (drop=1 max-buffers=1), so a slow reader never
// sees stale frames.
type CameraConfig struct {
	Kind     string // CameraCSI or CameraUSB; required
	SensorID int    // CSI sensor index (sensor-id), 0..15
	Device   string // USB device node; default DefaultUSBDevice
	Width    int    // capture width in pixels; default DefaultCameraWidth
	Height   int    // capture height in pixels; default DefaultCameraHeight
	FPS      int    // frames per second; default DefaultCameraFPS
	// Flip is nvvidconv's flip-method: 0 none, 1 counterclockwise,
	// 2 rotate-180, 3 clockwise, 4 horizontal-flip, 5 upper-right-diagonal,
	// 6 vertical-flip, 7 upper-left-diagonal. USB cameras get the same
	// transform through videoflip.
	Flip int
}

// flipName gives nvvidconv's flip-method name for its number (0..7).
// videoflip uses the same names with other numbers, so USB pipelines pass
// the name.
func flipName(n int) string {
	names := [...]string{
		"none", "counterclockwise", "rotate-180", "clockwise",
		"horizontal-flip", "upper-right-diagonal", "vertical-flip", "upper-left-diagonal",
	}
	return names[n]
}

func (c CameraConfig) withDefaults() CameraConfig {
	if c.Width == 0 {
		c.Width = DefaultCameraWidth
	}
	if c.Height == 0 {
		c.Height = DefaultCameraHeight
	}
	if c.FPS == 0 {
		c.FPS = DefaultCameraFPS
	}
	if c.Kind == CameraUSB && c.Device == "" {
		c.Device = DefaultUSBDevice
	}
	return c
}

// Validate checks the config after filling defaults.
func (c CameraConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch c.Kind {
	case CameraCSI:
		if c.SensorID < 0 || c.SensorID > 15 {
			errs = append(errs, fmt.Errorf("sensor id %d outside 0..15", c.SensorID))
		}
		if c.Device != "" {
			errs = append(errs, fmt.Errorf("device %q given for a csi camera (use SensorID)", c.Device))
		}
	case CameraUSB:
		if err := checkDevice(c.Device); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("kind %q: want %q or %q", c.Kind, CameraCSI, CameraUSB))
	}
	if c.Width < 16 || c.Width > 8192 {
		errs = append(errs, fmt.Errorf("width %d outside 16..8192", c.Width))
	}
	if c.Height < 16 || c.Height > 8192 {
		errs = append(errs, fmt.Errorf("height %d outside 16..8192", c.Height))
	}
	if c.FPS < 1 || c.FPS > 240 {
		errs = append(errs, fmt.Errorf("fps %d outside 1..240", c.FPS))
	}
	if c.Flip < 0 || c.Flip > 7 {
		errs = append(errs, fmt.Errorf("flip %d outside 0..7", c.Flip))
	}
	if len(errs) > 0 {
		return fmt.Errorf("camera config: %w", errors.Join(errs...))
	}
	return nil
}

// checkDevice accepts a /dev path made of characters that cannot end the
// element in a pipeline string ('!', space, quotes): the device goes into the
// pipeline text unquoted.
func checkDevice(dev string) error {
	rest, ok := strings.CutPrefix(dev, "/dev/")
	if !ok || rest == "" {
		return fmt.Errorf("device %q: want a path under /dev/", dev)
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("device %q: empty or relative path segment", dev)
		}
	}
	for _, r := range rest {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("._-:+/", r)
		if !ok {
			return fmt.Errorf("device %q: character %q not allowed", dev, r)
		}
	}
	return nil
}

// Pipeline returns the GStreamer pipeline string for gocv.OpenVideoCaptureWithAPI.
func (c CameraConfig) Pipeline() (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	c = c.withDefaults()
	const sink = "videoconvert ! video/x-raw,format=BGR ! appsink drop=1 max-buffers=1"
	switch c.Kind {
	case CameraCSI:
		// nvvidconv copies out of NVMM memory (and flips there, for free);
		// it cannot emit BGR, so it hands BGRx to videoconvert.
		return fmt.Sprintf("nvarguscamerasrc sensor-id=%d ! video/x-raw(memory:NVMM),width=%d,height=%d,framerate=%d/1 ! "+
			"nvvidconv flip-method=%d ! video/x-raw,format=BGRx ! %s",
			c.SensorID, c.Width, c.Height, c.FPS, c.Flip, sink), nil
	default: // CameraUSB; Validate rejected anything else
		flip := ""
		if c.Flip != 0 {
			flip = "videoflip method=" + flipName(c.Flip) + " ! "
		}
		return fmt.Sprintf("v4l2src device=%s ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! %s%s",
			c.Device, c.Width, c.Height, c.FPS, flip, sink), nil
	}
}
