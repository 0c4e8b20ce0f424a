package tests

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/camera/scene"
)

// streamServer is an IP camera on loopback: it serves MJPEG over HTTP
// (multipart/x-mixed-replace, as most network cameras do) to any number of clients at
// once, all seeing the same frame at the same time. OpenCV's FFmpeg backend connects
// twice (probe, then read), which a single-client server cannot serve. It can be told
// to stall (keep every connection open and send nothing, as a hung camera does) and to
// die (close the listener and every connection) and come back on the same port.
type streamServer struct {
	t      *testing.T
	port   int
	fps    float64
	frames [][]byte // JPEG frames, played in a loop
	start  time.Time

	stalled atomic.Bool
	served  atomic.Uint64 // frames written, over all clients

	mu      sync.Mutex
	srv     *http.Server
	clients int
}

// startStream renders perScene frames of each scene, encodes them as JPEG, and serves
// them at fps on a free port.
func startStream(t *testing.T, scenes []scene.Layout, perScene int, fps float64) *streamServer {
	t.Helper()
	s := &streamServer{t: t, port: freePort(t), fps: fps, start: time.Now()}
	for i, l := range scenes {
		require.NoError(t, l.Validate())
		for f := 0; f < perScene; f++ {
			var b bytes.Buffer
			require.NoError(t, jpeg.Encode(&b, scene.Render(l, scene.BaseSize, int64(1000*i+f)), &jpeg.Options{Quality: 90}))
			s.frames = append(s.frames, b.Bytes())
		}
	}
	s.serve()
	t.Cleanup(s.die)
	return s
}

func (s *streamServer) url() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) + "/cam.mjpg"
}

// serve listens on the server's port (again, after die).
func (s *streamServer) serve() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger for a moment after die
		if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(s.t, err, "stream server: listen on port %d", s.port)
	mux := http.NewServeMux()
	mux.HandleFunc("/cam.mjpg", s.handle)
	srv := &http.Server{Handler: mux}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// die closes the listener and every connection, as a camera that reboots.
func (s *streamServer) die() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (s *streamServer) stall(on bool) { s.stalled.Store(on) }

// frameAt is the frame the camera shows at t: every client sees the same one.
func (s *streamServer) frameAt(t time.Time) []byte {
	n := int(t.Sub(s.start).Seconds() * s.fps)
	return s.frames[n%len(s.frames)]
}

func (s *streamServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.clients++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary=frame")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	tick := time.NewTicker(time.Duration(float64(time.Second) / s.fps))
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case now := <-tick.C:
			if s.stalled.Load() {
				continue // connection open, nothing sent
			}
			jpg := s.frameAt(now)
			if _, err := fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(jpg)); err != nil {
				return
			}
			if _, err := w.Write(jpg); err != nil {
				return
			}
			if _, err := w.Write([]byte("\r\n")); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
			s.served.Add(1)
		}
	}
}

// connections is how many clients have connected so far.
func (s *streamServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients
}

// The stream server is a real network camera for OpenCV: `edge caption`-style reads
// through gocv get frames from it. Checked by running edge run on it and waiting for
// captions that are the scene's own.
func TestStreamServerReadByOpenCV(t *testing.T) {
	scenes := randomScenes(11, 1)
	s := startStream(t, scenes, 4, 10)
	dir := t.TempDir()
	b := startMosquitto(t, false)
	obs := observe(t, b.url(), observerOptions{}, "edge/cam1/caption")
	p := startEdge(t, dir, runArgs(b.url(), "cam1", "--camera", s.url(), "--max-fps", "5", "--mode", "interval", "--interval", "1s")...)
	obs.await("caption", 60*time.Second, "captions from the network stream", atLeast(2))
	cs := decodeAll[caption](t, obs.on("caption"))
	t.Logf("stream %s: %d clients connected, %d frames served; caption %q (scene %q)", s.url(), s.connections(), s.served.Load(), cs[0].Text, scenes[0].Caption())
	require.GreaterOrEqual(t, s.connections(), 1)
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(15 * time.Second)
	require.Equal(t, 0, code)
	requireCleanStderr(t, p.stderr.String())
}
