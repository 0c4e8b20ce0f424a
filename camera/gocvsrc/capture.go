//go:build cgo && !nogocv

package gocvsrc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/edgevlm/edge/camera"
)

// Capture is a gocv VideoCapture as a camera.Source. Files and GStreamer pipelines end
// with io.EOF; a device or stream that stops giving frames fails with an error (wrap it in
// camera.Reopening to reconnect).
type Capture struct {
	spec Spec
	name string

	mu     sync.Mutex // one gocv call at a time; Close waits for a Read in progress
	vc     *gocv.VideoCapture
	seq    uint64
	closed bool
}

// Open opens the source a spec names (see ParseSpec).
func Open(spec string, opts Options) (camera.Source, error) {
	return OpenCapture(spec, opts)
}

// OpenCapture is Open with the concrete type.
func OpenCapture(spec string, opts Options) (*Capture, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if s.Kind == KindFile {
		// OpenCV only says "cannot open"; say why when we can.
		st, err := os.Stat(s.Target)
		if err != nil {
			return nil, fmt.Errorf("gocvsrc: video file %s: %w", s.Target, err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("gocvsrc: video file %s is a folder (use camera.OpenFolder for images)", s.Target)
		}
	}
	var vc *gocv.VideoCapture
	switch s.Kind {
	case KindDevice:
		vc, err = gocv.VideoCaptureDevice(s.Device)
	case KindV4L2Path:
		vc, err = gocv.VideoCaptureFileWithAPI(s.Target, gocv.VideoCaptureV4L2)
	case KindGStreamer:
		vc, err = gocv.VideoCaptureFileWithAPI(s.Target, gocv.VideoCaptureGstreamer)
	case KindURL, KindFile:
		vc, err = gocv.VideoCaptureFileWithAPI(s.Target, gocv.VideoCaptureFFmpeg)
	}
	if err != nil || vc == nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close() // gocv allocates the capture even when opening fails
		}
		if err == nil {
			err = errors.New("not opened")
		}
		return nil, fmt.Errorf("gocvsrc: open %s %s: %w", s.Kind, s.Target, err)
	}
	if opts.Width > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(opts.Width))
	}
	if opts.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameHeight, float64(opts.Height))
	}
	if opts.FPS > 0 {
		vc.Set(gocv.VideoCaptureFPS, opts.FPS)
	}
	if opts.BufferSize > 0 {
		vc.Set(gocv.VideoCaptureBufferSize, float64(opts.BufferSize))
	}
	name := opts.Name
	if name == "" {
		name = s.Target
	}
	return &Capture{spec: s, name: name, vc: vc}, nil
}

// Name is the spec, or the name given in Options.
func (c *Capture) Name() string { return c.name }

// Spec is what the source was opened from.
func (c *Capture) Spec() Spec { return c.spec }

// FrameCount is the container's frame count for files (0 when unknown, as for live sources).
func (c *Capture) FrameCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vc == nil {
		return 0
	}
	return max(0, int(c.vc.Get(gocv.VideoCaptureFrameCount)))
}

// Read grabs and decodes the next frame as RGBA. The gocv call cannot be interrupted:
// the context is checked before it, and a read lasts one frame period on a live source.
func (c *Capture) Read(ctx context.Context) (camera.Frame, error) {
	if err := ctx.Err(); err != nil {
		return camera.Frame{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return camera.Frame{}, camera.ErrClosed
	}
	img, ok, err := c.readLocked()
	if err != nil {
		return camera.Frame{}, fmt.Errorf("gocvsrc: read %s: %w", c.name, err)
	}
	if !ok {
		if c.spec.Kind == KindFile || c.spec.Kind == KindGStreamer {
			return camera.Frame{}, io.EOF
		}
		return camera.Frame{}, fmt.Errorf("gocvsrc: read %s: no frame (device or stream lost)", c.name)
	}
	c.seq++
	return camera.Frame{Image: img, Time: time.Now(), Seq: c.seq}, nil
}

// readLocked reads one frame; ok is false when the capture had none.
func (c *Capture) readLocked() (*image.RGBA, bool, error) {
	m := gocv.NewMat()
	defer m.Close()
	if !c.vc.Read(&m) || m.Empty() {
		return nil, false, nil
	}
	img, err := matToRGBA(m)
	return img, err == nil, err
}

// Close releases the capture. It waits for a Read in progress.
func (c *Capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.vc.Close()
	c.vc = nil
	return err
}

// OpenReopening is a source for spec that reopens it as cfg says (backoff, OnEnd) when it
// fails; cfg.Open and, when empty, cfg.Name are filled in. The spec is parsed now, so a
// malformed one fails here rather than on every reopen.
func OpenReopening(spec string, opts Options, cfg camera.ReopenConfig) (*camera.Reopening, error) {
	if _, err := ParseSpec(spec); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = opts.Name
	}
	if cfg.Name == "" {
		cfg.Name = spec
	}
	open := func(context.Context) (camera.Source, error) { return Open(spec, opts) }
	cfg.Open = open
	if opts.StallTimeout > 0 {
		cfg.Open = func(ctx context.Context) (camera.Source, error) {
			return camera.OpenGuarded(ctx, cfg.Name, open, opts.StallTimeout, opts.Stalls)
		}
	}
	return camera.NewReopening(cfg)
}
