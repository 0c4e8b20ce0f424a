package service

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

// OpenSource opens the configured camera: plain-Go sources for synthetic scenes, image
// files and folders; OpenCV for devices, video files, pipelines and streams, reopened
// with backoff when they fail. Every source is paced to MaxFPS.
func OpenSource(c CameraConfig) (camera.Source, error) {
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
		r, err := gocvsrc.OpenReopening(c.Source, gocvsrc.Options{Width: c.Width, Height: c.Height, FPS: c.FPS, BufferSize: 1},
			camera.ReopenConfig{OnEnd: onEnd, MinBackoff: 200 * time.Millisecond, MaxBackoff: 30 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("camera %s: %w", c.Source, err)
		}
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
