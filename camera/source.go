// Package camera has the frame sources of the runtime: still images, folders of images,
// synthetic scenes, and wrappers that reopen a failing source and cap its frame rate.
// The OpenCV (gocv) sources live in camera/gocvsrc, so this package builds without cgo.
//
// Its room in docs/architecture.md: devices: imports only camera/scene; no model, transport or loop.
package camera

import (
	"context"
	"errors"
	"image"
	"time"
)

// Frame is one picture from a source. Seq counts frames from 1 within a source (0 is
// never a frame), so a later frame has a larger Seq. The receiver owns Image.
type Frame struct {
	Image *image.RGBA
	Time  time.Time // when the frame was captured (read, for sources without a clock)
	Seq   uint64
}

// Source gives frames. Read blocks until a frame is there, the context ends (it returns
// the context's error) or the source ends (io.EOF, for finite sources). A Source is read
// from one goroutine at a time; Close may come from another once reading has stopped.
type Source interface {
	Read(ctx context.Context) (Frame, error)
	Close() error
	Name() string
}

// ErrClosed is returned by Read on a source that was closed.
var ErrClosed = errors.New("camera: source closed")
