package loop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/camera/gocvsrc"
)

var stillExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

// cameraHealth is what the status reports about a reopened live camera.
type cameraHealth struct {
	reopen *camera.Reopening
	stalls *camera.StallStats
}

// openSource opens the configured camera: plain-Go sources for synthetic scenes, image
// files and folders; OpenCV for devices, video files, pipelines and streams, reopened
// with backoff when they fail. Every source is paced to MaxFPS.
func openSource(c CameraConfig) (camera.Source, *cameraHealth, error) {
	var health *cameraHealth
	src, err := openPlain(c, &health)
	return src, health, err
}

func openPlain(c CameraConfig, health **cameraHealth) (camera.Source, error) {
	var src camera.Source
	live := false
	switch st, err := os.Stat(c.Source); {
	case c.Source == "synthetic":
		s, err := camera.NewSynthetic(camera.SyntheticConfig{Seed: c.Seed, ScenePeriod: c.ScenePeriod, Frames: c.Frames})
		if err != nil {
			return nil, fmt.Errorf("camera synthetic: %w", err)
		}
		src = s
	case err == nil && st.IsDir():
		s, err := camera.OpenFolder(c.Source, camera.ImagesOptions{Loop: c.OnEnd == string(camera.EndLoop)})
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Source, err)
		}
		src = s
	case err == nil && stillExts[strings.ToLower(filepath.Ext(c.Source))]:
		s, err := camera.OpenImage(c.Source, camera.ImagesOptions{Loop: c.OnEnd == string(camera.EndLoop)})
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Source, err)
		}
		src = s
	default:
		spec, err := gocvsrc.ParseSpec(c.Source)
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Source, err)
		}
		if spec.Kind == gocvsrc.KindFile {
			if _, err := os.Stat(c.Source); err != nil {
				return nil, fmt.Errorf("camera %s: not a device, URL, pipeline, image or video file that exists: %w", c.Source, err)
			}
		}
		onEnd := camera.OnEnd(c.OnEnd)
		if onEnd == "" {
			onEnd = camera.EndStop
			if spec.Kind != gocvsrc.KindFile {
				onEnd = camera.EndReopen
			}
		}
		live = spec.Kind != gocvsrc.KindFile
		opts := gocvsrc.Options{Width: c.Width, Height: c.Height, FPS: c.FPS, BufferSize: 1}
		stalls := &camera.StallStats{}
		if live {
			// Files do not stall; a slow decode of a big one must not be cut short.
			opts.StallTimeout, opts.Stalls = c.StallTimeout, stalls
		}
		r, err := gocvsrc.OpenReopening(c.Source, opts,
			camera.ReopenConfig{OnEnd: onEnd, MinBackoff: 200 * time.Millisecond, MaxBackoff: 30 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Source, err)
		}
		*health = &cameraHealth{reopen: r, stalls: stalls}
		src = r
	}
	p, err := camera.NewPaced(src, camera.PacedConfig{MaxFPS: c.MaxFPS, Drop: live})
	if err != nil {
		src.Close()
		return nil, err
	}
	return p, nil
}

// latestSource remembers the newest frame read, so questions are answered about what
// the camera sees now, whatever the scheduler is doing.
type latestSource struct {
	camera.Source
	health  *cameraHealth // nil for sources that are not reopened
	latest  atomic.Pointer[camera.Frame]
	reads   atomic.Uint64
	onFrame func(camera.Frame)
}

func (l *latestSource) Read(ctx context.Context) (camera.Frame, error) {
	f, err := l.Source.Read(ctx)
	if err == nil {
		l.latest.Store(&f)
		l.reads.Add(1)
		if l.onFrame != nil {
			l.onFrame(f)
		}
	}
	return f, err
}

// addTo puts the camera's reopen and stall counters into the status stats.
func (h *cameraHealth) addTo(stats map[string]any) {
	if h == nil {
		return
	}
	rs := h.reopen.Stats()
	state := "ok"
	switch {
	case h.stalls.Stalled.Load():
		state = "stalled"
	case rs.Opens == 0 || rs.Failures > 0 && rs.LastError != nil && rs.Frames == 0:
		state = "opening"
	}
	stats["camera_state"] = state
	stats["camera_opens"], stats["camera_failures"] = rs.Opens, rs.Failures
	stats["camera_stalls"], stats["camera_abandoned"] = h.stalls.Stalls.Load(), h.stalls.Abandoned.Load()
	if at := h.stalls.LastAt.Load(); at != 0 {
		stats["camera_last_stall"] = time.Unix(0, at).UTC().Format(time.RFC3339Nano)
	}
	if rs.LastError != nil {
		stats["camera_error"] = rs.LastError.Error()
	}
}
