package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/loop"
)

// ID=SOURCE names a camera only when what comes before the first '=' is a plain id: RTSP
// URLs with queries and GStreamer pipelines with properties stay whole sources.
func TestSplitCamera(t *testing.T) {
	for _, tc := range []struct {
		in, id, source string
		named          bool
	}{
		{"door=rtsp://10.0.0.5/stream", "door", "rtsp://10.0.0.5/stream", true},
		{"yard_2=/dev/video1", "yard_2", "/dev/video1", true},
		{"back-door=rtsp://cam/s?user=a&pass=b", "back-door", "rtsp://cam/s?user=a&pass=b", true},
		{"/dev/video0", "", "/dev/video0", false},
		{"rtsp://10.0.0.5/stream?channel=1&subtype=0", "", "rtsp://10.0.0.5/stream?channel=1&subtype=0", false},
		{"v4l2src device=/dev/video0 ! videoconvert ! appsink", "", "v4l2src device=/dev/video0 ! videoconvert ! appsink", false},
		{"nvarguscamerasrc sensor-id=0 ! nvvidconv ! appsink", "", "nvarguscamerasrc sensor-id=0 ! nvvidconv ! appsink", false},
		{"=/dev/video0", "", "=/dev/video0", false},
		{"door =x", "", "door =x", false},
		{"synthetic", "", "synthetic", false},
	} {
		id, source, named := splitCamera(tc.in)
		require.Equal(t, tc.named, named, tc.in)
		require.Equal(t, tc.id, id, tc.in)
		require.Equal(t, tc.source, source, tc.in)
	}
}

func TestApplyCameraFlags(t *testing.T) {
	// One plain source: today's one camera.
	cfg := loop.Config{Camera: loop.CameraConfig{StallTimeout: 2 * time.Second}}
	require.NoError(t, applyCameraFlags(&cfg, []string{"rtsp://cam/s?a=b"}))
	require.Equal(t, "rtsp://cam/s?a=b", cfg.Camera.Source)
	require.Empty(t, cfg.Cameras)

	// Named ones replace it, keeping the file's camera: settings.
	require.NoError(t, applyCameraFlags(&cfg, []string{"door=rtsp://10.0.0.5/stream", "yard=/dev/video1"}))
	require.Equal(t, loop.CameraConfig{}, cfg.Camera)
	require.Len(t, cfg.Cameras, 2)
	require.Equal(t, "yard", cfg.Cameras[1].ID)
	require.Equal(t, "/dev/video1", cfg.Cameras[1].Source)
	require.Equal(t, 2*time.Second, cfg.Cameras[1].StallTimeout)

	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"door=/dev/video0", "/dev/video1"}, `--camera "/dev/video1": with several cameras each needs the form ID=SOURCE`},
		{[]string{"/dev/video0", "/dev/video1"}, `--camera "/dev/video0": with several cameras`},
		{[]string{"door="}, `--camera "door=": no source`},
	} {
		var c loop.Config
		require.ErrorContains(t, applyCameraFlags(&c, tc.values), tc.want)
	}
	withCameras := loop.Config{Cameras: []loop.NamedCamera{{ID: "a"}}}
	require.ErrorContains(t, applyCameraFlags(&withCameras, []string{"/dev/video0"}), "the config has cameras:")
}

// Bad camera settings stop `edge run` with one line that names the input.
func TestRunCameraErrorsNameTheInput(t *testing.T) {
	dir := t.TempDir()
	both := filepath.Join(dir, "both.yaml")
	require.NoError(t, os.WriteFile(both, []byte("camera:\n  source: /dev/video0\ncameras:\n  - id: a\n    source: synthetic\n"), 0o644))
	badID := filepath.Join(dir, "badid.yaml")
	require.NoError(t, os.WriteFile(badID, []byte("cameras:\n  - id: a\n  - id: a/b\n    source: synthetic\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--camera", "door=synthetic", "--camera", "synthetic"}, `--camera "synthetic"`},
		{[]string{"run", "--camera", "a=synthetic", "--camera", "a=synthetic"}, `cameras[1].id "a": also the id of cameras[0]`},
		{[]string{"run", "--config", both}, "cameras: excludes camera"},
		{[]string{"run", "--config", badID}, `cameras[1].id "a/b"`},
	} {
		_, stderr, code := runEdge(t, "", tc.args...)
		require.NotZero(t, code, "%v", tc.args)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
	}
}

func TestFanOutGivesEveryCameraEachValue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan int)
	outs := fanOut(ctx, in, 3)
	go func() { in <- 7 }()
	for _, o := range outs {
		select {
		case v := <-o:
			require.Equal(t, 7, v)
		case <-time.After(5 * time.Second):
			t.Fatal("a camera missed the value")
		}
	}
	one := fanOut(ctx, (<-chan int)(in), 1)
	require.Equal(t, (<-chan int)(in), one[0], "one camera reads the channel itself")
}
