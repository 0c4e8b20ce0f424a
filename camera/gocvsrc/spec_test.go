package gocvsrc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec string
		want Spec
		err  string
	}{
		{spec: "0", want: Spec{Kind: KindDevice, Device: 0, Target: "0"}},
		{spec: " 2 ", want: Spec{Kind: KindDevice, Device: 2, Target: "2"}},
		{spec: "/dev/video1", want: Spec{Kind: KindDevice, Device: 1, Target: "/dev/video1"}},
		{spec: "/dev/v4l/by-id/usb-cam-video-index0", want: Spec{Kind: KindV4L2Path, Target: "/dev/v4l/by-id/usb-cam-video-index0"}},
		{spec: "nvarguscamerasrc ! video/x-raw(memory:NVMM),width=1280 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! appsink drop=1",
			want: Spec{Kind: KindGStreamer, Target: "nvarguscamerasrc ! video/x-raw(memory:NVMM),width=1280 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR ! appsink drop=1"}},
		{spec: "rtsp://user:pw@10.0.0.5:554/stream1", want: Spec{Kind: KindURL, Target: "rtsp://user:pw@10.0.0.5:554/stream1"}},
		{spec: "HTTP://cam.local/mjpeg", want: Spec{Kind: KindURL, Target: "HTTP://cam.local/mjpeg"}},
		{spec: "testdata/clip.avi", want: Spec{Kind: KindFile, Target: "testdata/clip.avi"}},
		{spec: "", err: "empty"},
		{spec: "-1", err: "negative"},
		{spec: "/dev/videoX", err: "/dev/video<N>"},
		{spec: "v4l2src ! videoconvert", err: "appsink"},
	}
	for _, tc := range tests {
		got, err := ParseSpec(tc.spec)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.spec)
			continue
		}
		require.NoError(t, err, tc.spec)
		require.Equal(t, tc.want, got, tc.spec)
	}
}

func TestOptionsValidate(t *testing.T) {
	require.NoError(t, Options{Width: 640, Height: 480, FPS: 30, BufferSize: 1}.Validate())
	require.Error(t, Options{FPS: -1}.Validate())
}
