package jetson

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCameraPipeline(t *testing.T) {
	const sink = " ! videoconvert ! video/x-raw,format=BGR ! appsink drop=1 max-buffers=1"
	tests := []struct {
		name string
		cfg  CameraConfig
		want string
		err  string
	}{
		{
			name: "csi defaults",
			cfg:  CameraConfig{Kind: CameraCSI},
			want: "nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM),width=1280,height=720,framerate=30/1 ! " +
				"nvvidconv flip-method=0 ! video/x-raw,format=BGRx" + sink,
		},
		{
			name: "csi second sensor 1080p rotated",
			cfg:  CameraConfig{Kind: CameraCSI, SensorID: 1, Width: 1920, Height: 1080, FPS: 60, Flip: 2},
			want: "nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=60/1 ! " +
				"nvvidconv flip-method=2 ! video/x-raw,format=BGRx" + sink,
		},
		{
			name: "usb defaults",
			cfg:  CameraConfig{Kind: CameraUSB},
			want: "v4l2src device=/dev/video0 ! video/x-raw,width=1280,height=720,framerate=30/1" + sink,
		},
		{
			name: "usb vga on video2",
			cfg:  CameraConfig{Kind: CameraUSB, Device: "/dev/video2", Width: 640, Height: 480, FPS: 15},
			want: "v4l2src device=/dev/video2 ! video/x-raw,width=640,height=480,framerate=15/1" + sink,
		},
		{
			name: "usb flip 1 is videoflip counterclockwise, not its method 1",
			cfg:  CameraConfig{Kind: CameraUSB, Flip: 1},
			want: "v4l2src device=/dev/video0 ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoflip method=counterclockwise" + sink,
		},
		{
			name: "usb flip 6 is vertical-flip",
			cfg:  CameraConfig{Kind: CameraUSB, Flip: 6},
			want: "v4l2src device=/dev/video0 ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoflip method=vertical-flip" + sink,
		},
		{
			name: "usb by-id path",
			cfg:  CameraConfig{Kind: CameraUSB, Device: "/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2C3-video-index0", Width: 640, Height: 480},
			want: "v4l2src device=/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2C3-video-index0 ! video/x-raw,width=640,height=480,framerate=30/1" + sink,
		},
		{name: "no kind", cfg: CameraConfig{}, err: `kind ""`},
		{name: "unknown kind", cfg: CameraConfig{Kind: "rtsp"}, err: `kind "rtsp"`},
		{name: "sensor out of range", cfg: CameraConfig{Kind: CameraCSI, SensorID: 16}, err: "sensor id 16"},
		{name: "device on csi", cfg: CameraConfig{Kind: CameraCSI, Device: "/dev/video0"}, err: "csi camera"},
		{name: "flip out of range", cfg: CameraConfig{Kind: CameraCSI, Flip: 8}, err: "flip 8"},
		{name: "negative width", cfg: CameraConfig{Kind: CameraCSI, Width: -1}, err: "width -1"},
		{name: "huge height", cfg: CameraConfig{Kind: CameraUSB, Height: 10000}, err: "height 10000"},
		{name: "fps too high", cfg: CameraConfig{Kind: CameraUSB, FPS: 1000}, err: "fps 1000"},
		{name: "device outside /dev", cfg: CameraConfig{Kind: CameraUSB, Device: "video0"}, err: "under /dev/"},
		{name: "device escaping /dev", cfg: CameraConfig{Kind: CameraUSB, Device: "/dev/../etc/passwd"}, err: "relative path segment"},
		{name: "device injecting an element", cfg: CameraConfig{Kind: CameraUSB, Device: "/dev/video0 ! filesink location=/tmp/x"}, err: "not allowed"},
		{name: "errors are all reported", cfg: CameraConfig{Kind: CameraCSI, SensorID: -1, FPS: 500}, err: "fps 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.Pipeline()
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.ErrorContains(t, tt.cfg.Validate(), tt.err)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.NoError(t, tt.cfg.Validate())
			require.Equal(t, tt.want, got)
		})
	}
}
