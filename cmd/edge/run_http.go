package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/httpapi"
	"github.com/edgevlm/edge/loop"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/mqtt"
)

// liveCamera is the camera loop's latest frame and caption, as the HTTP API reads them.
type liveCamera struct {
	id      string // the camera's id in a run with several
	frame   atomic.Pointer[camera.Frame]
	caption atomic.Pointer[mqtt.Caption]
}

func (l *liveCamera) LatestFrame() (httpapi.Frame, bool) {
	f := l.frame.Load()
	if f == nil {
		return httpapi.Frame{}, false
	}
	return httpapi.Frame{Image: f.Image, Camera: l.id, Seq: f.Seq, Time: f.Time}, true
}

func (l *liveCamera) LatestCaption() (string, time.Time, bool) {
	c := l.caption.Load()
	if c == nil {
		return "", time.Time{}, false
	}
	return c.Text, c.FrameTime, true
}

// startRunHTTP serves the HTTP API next to the camera loop when cfg.HTTP.Addr is set: it
// shares the model (one generation at a time) and hooks the frames and captions of
// camera id (the first one of several) into opts.
func startRunHTTP(ctx context.Context, e env, cfg loop.HTTPConfig, m *blip2.Model, id string, opts *loop.Options) (wait func(), err error) {
	if cfg.Addr == "" {
		return func() {}, nil
	}
	hc := httpapi.Config{APIKey: cfg.APIKey, QueueSize: cfg.Queue, RequestTimeout: cfg.RequestTimeout}
	ln, err := listenHTTP(cfg.Addr, hc)
	if err != nil {
		return nil, err
	}
	lock := &sync.Mutex{}
	cam := &liveCamera{id: id}
	opts.ModelLock = lock
	opts.OnFrame = func(f camera.Frame) { cam.frame.Store(&f) }
	prev := opts.OnCaption
	opts.OnCaption = func(c mqtt.Caption) {
		cam.caption.Store(&c)
		if prev != nil {
			prev(c)
		}
	}
	srv := httpapi.New(hc, httpapi.NewBLIP2(m, modelName(m), lock), cam)
	fmt.Fprintf(e.stderr, "edge run: HTTP API (OpenAI, Ollama) on http://%s\n", ln.Addr())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			fmt.Fprintf(e.stderr, "edge run: http: %v\n", err)
		}
	}()
	return func() { <-done }, nil
}
