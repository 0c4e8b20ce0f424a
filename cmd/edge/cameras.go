package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/edgevlm/edge/loop"
	"github.com/edgevlm/edge/mqtt"
)

// cameraFlags are the values of a repeated --camera.
type cameraFlags []string

func (c *cameraFlags) String() string { return strings.Join(*c, ", ") }

func (c *cameraFlags) Set(v string) error {
	*c = append(*c, v)
	return nil
}

// cameraID is what may name a camera in --camera ID=SOURCE. A source with '=' in it
// (an RTSP URL's query, a GStreamer pipeline's "device=/dev/video0") has something else
// before its first '=', so it is never taken for a name.
var cameraID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// splitCamera splits ID=SOURCE; named is false for a plain source.
func splitCamera(v string) (id, source string, named bool) {
	id, source, found := strings.Cut(v, "=")
	if !found || !cameraID.MatchString(id) {
		return "", v, false
	}
	return id, source, true
}

// applyCameraFlags puts the --camera values into cfg: one plain SOURCE is the one
// camera's source, as ever; ID=SOURCE values (every one, when there are several)
// replace the file's cameras, each starting from the file's camera: settings.
func applyCameraFlags(cfg *loop.Config, values []string) error {
	if len(values) == 0 {
		return nil
	}
	if _, src, named := splitCamera(values[0]); len(values) == 1 && !named {
		if len(cfg.Cameras) > 0 {
			return usagef("--camera %q: the config has cameras:, so name it: --camera ID=SOURCE", values[0])
		}
		cfg.Camera.Source = src
		return nil
	}
	cams := make([]loop.NamedCamera, len(values))
	for i, v := range values {
		id, src, named := splitCamera(v)
		if !named {
			return usagef("--camera %q: with several cameras each needs the form ID=SOURCE (ID of letters, digits, '_' and '-')", v)
		}
		if src == "" {
			return usagef("--camera %q: no source after %s=", v, id)
		}
		cams[i] = loop.NamedCamera{ID: id, CameraConfig: cfg.Camera}
		cams[i].Source = src
	}
	cfg.Cameras, cfg.Camera = cams, loop.CameraConfig{}
	return nil
}

// eachCamera applies set to the one camera or to every entry of cameras.
func eachCamera(cfg *loop.Config, set func(*loop.CameraConfig)) {
	if len(cfg.Cameras) == 0 {
		set(&cfg.Camera)
	}
	for i := range cfg.Cameras {
		set(&cfg.Cameras[i].CameraConfig)
	}
}

// cameraNames are the cameras' ids ("" for the one unnamed camera) and sources.
func cameraNames(cfg loop.Config) (ids, sources []string) {
	if len(cfg.Cameras) == 0 {
		return []string{""}, []string{cfg.Camera.Source}
	}
	for _, c := range cfg.Cameras {
		ids, sources = append(ids, c.ID), append(sources, c.Source)
	}
	return ids, sources
}

// cameraOptions are camera i's loop options: the shared ones, with its client, its
// startup line and, with --print, its lines (tagged with its id when there are several).
func cameraOptions(shared loop.Options, client *mqtt.Client, id, source string, several, print bool, stdout, stderr io.Writer) loop.Options {
	o := shared
	o.Client = client
	tag, name := "", source
	if several {
		tag, name = " ["+id+"]", id+" ("+source+")"
	}
	o.OnReady = func(broker string, t mqtt.Topics) {
		fmt.Fprintf(stderr, "edge run: camera %s, broker %s, captions on %s, asks on %s\n", name, broker, t.Caption, t.Ask)
	}
	if print {
		o.OnCaption = func(c mqtt.Caption) { fmt.Fprintf(stdout, "caption %d%s: %s\n", c.Seq, tag, c.Text) }
		o.OnAnswer = func(a mqtt.Answer) { fmt.Fprintf(stdout, "answer %s%s: %s\n", a.ID, tag, a.Text) }
	}
	return o
}

// fanOut copies every value of in to n channels, so that each camera sees each thermal
// decision and button press. The copies never close (a loop takes a closed trigger
// channel for endless presses); the copying ends with ctx or in.
func fanOut[T any](ctx context.Context, in <-chan T, n int) []<-chan T {
	ro := make([]<-chan T, n)
	if in == nil || n == 1 {
		for i := range ro {
			ro[i] = in
		}
		return ro
	}
	outs := make([]chan T, n)
	for i := range outs {
		outs[i] = make(chan T, 1)
		ro[i] = outs[i]
	}
	go func() {
		for {
			select {
			case v, ok := <-in:
				if !ok {
					return
				}
				for _, o := range outs {
					select {
					case o <- v:
					case <-ctx.Done():
						return
					}
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return ro
}
