package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/models/preprocess"

	"github.com/edgevlm/edge/models/blip2"
)

// Config bounds what the server accepts.
type Config struct {
	APIKey         string        // bearer token; required when binding a non-loopback address
	QueueSize      int           // requests that may wait for the model (default 16)
	MaxBodyBytes   int64         // default 20 MiB
	MaxImageBytes  int           // one encoded image (default 8 MiB)
	RequestTimeout time.Duration // whole request, waiting included (default 2m)
	MaxTokens      int           // default max_tokens (default 30, as the CLI)
}

func (c *Config) defaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = 16
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 20 << 20
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 8 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 2 * time.Minute
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = 30
	}
}

// CheckBind refuses a non-loopback address without an API key.
func CheckBind(addr, key string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: want host:port, e.g. 127.0.0.1:11434: %w", addr, err)
	}
	if key != "" {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--http %s binds a non-loopback address: give --api-key (or EDGE_API_KEY) so that only your clients can ask", addr)
}

// Server is the HTTP API; it is an http.Handler.
type Server struct {
	cfg    Config
	model  Model
	camera Camera // nil for `edge serve`
	mux    *http.ServeMux

	admit   chan struct{} // running + waiting requests
	run     chan struct{} // the one running generation
	waiting atomic.Int64
	metrics metrics

	// afterToken, when set (tests), runs after each token is streamed.
	afterToken func(ctx context.Context, n int)
}

// New makes the server; camera may be nil.
func New(cfg Config, m Model, cam Camera) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, model: m, camera: cam, mux: http.NewServeMux(),
		admit: make(chan struct{}, cfg.QueueSize+1), run: make(chan struct{}, 1)}
	s.metrics.init()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /metrics", s.auth(s.metricsPage))
	s.mux.HandleFunc("POST /v1/chat/completions", s.auth(s.openaiChat))
	s.mux.HandleFunc("GET /v1/models", s.auth(s.openaiModels))
	s.mux.HandleFunc("GET /v1/frames/latest", s.auth(s.latestFrame))
	s.mux.HandleFunc("GET /v1/captions/latest", s.auth(s.latestCaption))
	s.mux.HandleFunc("POST /api/generate", s.auth(s.ollamaGenerate))
	s.mux.HandleFunc("POST /api/chat", s.auth(s.ollamaChat))
	s.mux.HandleFunc("GET /api/tags", s.auth(s.ollamaTags))
	s.mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"version": "0.1.0"})
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	rw := &statusWriter{ResponseWriter: w, code: 200}
	r.Body = http.MaxBytesReader(rw, r.Body, s.cfg.MaxBodyBytes)
	s.mux.ServeHTTP(rw, r)
	s.metrics.request(r.URL.Path, rw.code, time.Since(t0))
}

// Serve listens on addr until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	err := hs.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// apiError is an error with its HTTP status and OpenAI type/code.
type apiError struct {
	status     int
	typ, code  string
	msg        string
	retryAfter int
}

func (e *apiError) Error() string { return e.msg }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: 400, typ: "invalid_request_error", code: code, msg: fmt.Sprintf(format, args...)}
}

// classify turns any error into an apiError.
func classify(err error) *apiError {
	var ae *apiError
	var ce ContextError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ce):
		return badRequest("context_length_exceeded", "%s", ce.Error())
	case errors.As(err, &mbe):
		return &apiError{status: 413, typ: "invalid_request_error", code: "request_too_large", msg: fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: 504, typ: "timeout", code: "timeout", msg: "the request took longer than the server's per-request timeout"}
	case errors.Is(err, context.Canceled):
		return &apiError{status: 499, typ: "cancelled", code: "cancelled", msg: "the request was cancelled"}
	default:
		return &apiError{status: 500, typ: "server_error", code: "internal_error", msg: err.Error()}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) openaiError(w http.ResponseWriter, err error) {
	e := classify(err)
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]any{"message": e.msg, "type": e.typ, "param": nil, "code": e.code}})
}

func (s *Server) ollamaError(w http.ResponseWriter, err error) {
	e := classify(err)
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, map[string]string{"error": e.msg})
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.APIKey == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.APIKey)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) == 1 {
			h(w, r)
			return
		}
		e := &apiError{status: 401, typ: "invalid_request_error", code: "invalid_api_key", msg: "missing or wrong API key: send Authorization: Bearer <key>"}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.ollamaError(w, e)
		} else {
			s.openaiError(w, e)
		}
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"status": "ok", "model": s.model.Name(), "queue": s.waiting.Load(), "camera": s.camera != nil})
}

// decode reads a JSON body into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("invalid_json", "the body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// checkModel accepts the model's name, with or without Ollama's ":latest" tag.
func (s *Server) checkModel(name string) error {
	n := s.model.Name()
	if name == n || name == n+":latest" {
		return nil
	}
	if name == "" {
		return badRequest("missing_model", "give \"model\": %q", n)
	}
	return &apiError{status: 404, typ: "invalid_request_error", code: "model_not_found", msg: fmt.Sprintf("model %q not found: this server has %q", name, n)}
}

// CameraLatest is the image reference that means the camera's latest frame.
const CameraLatest = "camera:latest"

// decodeImage decodes a base64 PNG/JPEG (data URL or bare); "camera:latest" or ""
// gives nil, the latest frame.
func (s *Server) decodeImage(ref string, dataURL bool) (image.Image, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || ref == CameraLatest {
		return nil, nil
	}
	b64 := ref
	if dataURL {
		rest, ok := strings.CutPrefix(ref, "data:")
		meta, data, ok2 := strings.Cut(rest, ",")
		if !ok || !ok2 || !strings.HasSuffix(meta, ";base64") {
			return nil, badRequest("invalid_image_url", "image_url must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or %q", CameraLatest)
		}
		switch strings.TrimSuffix(meta, ";base64") {
		case "image/png", "image/jpeg", "image/jpg":
		default:
			return nil, badRequest("invalid_image_url", "image_url has type %q: send image/png or image/jpeg", strings.TrimSuffix(meta, ";base64"))
		}
		b64 = data
	}
	if base64.StdEncoding.DecodedLen(len(b64)) > s.cfg.MaxImageBytes+3 {
		return nil, &apiError{status: 413, typ: "invalid_request_error", code: "image_too_large", msg: fmt.Sprintf("image over the limit of %d bytes", s.cfg.MaxImageBytes)}
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, badRequest("invalid_image", "the image is not valid base64: %v", err)
	}
	img, err := preprocess.Decode(bytes.NewReader(raw), "in the request")
	if err != nil {
		return nil, badRequest("invalid_image", "%v", err)
	}
	return img, nil
}

// resolve fills a request without an image with the camera's latest frame, and names
// that frame so that a prefix the camera loop computed for it is reused.
func (s *Server) resolve(r *Request) error {
	if r.Image != nil {
		return nil
	}
	if s.camera == nil {
		return badRequest("missing_image", "no image in the request, and this server has no camera (edge serve): attach an image, or run edge run --http for %q", CameraLatest)
	}
	f, ok := s.camera.LatestFrame()
	if !ok {
		return &apiError{status: 503, typ: "server_error", code: "no_frame", msg: "the camera has no frame yet", retryAfter: 1}
	}
	r.Image, r.Frame = f.Image, blip2.FrameKey{Camera: f.Camera, Seq: f.Seq, Time: f.Time}
	return nil
}

// generate waits its turn for the model (or gets 503 when the queue is full) and runs r.
func (s *Server) generate(ctx context.Context, r Request) (Reply, error) {
	select {
	case s.admit <- struct{}{}:
	default:
		return Reply{}, &apiError{status: 503, typ: "server_error", code: "queue_full",
			msg: fmt.Sprintf("the model is busy and %d requests are waiting: try again later", s.cfg.QueueSize), retryAfter: s.retryAfter()}
	}
	defer func() { <-s.admit }()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	s.waiting.Add(1)
	select {
	case s.run <- struct{}{}:
		s.waiting.Add(-1)
	case <-ctx.Done():
		s.waiting.Add(-1)
		return Reply{}, ctx.Err()
	}
	defer func() { <-s.run }()
	if s.afterToken != nil && r.OnText != nil {
		n, on := 0, r.OnText
		r.OnText = func(d string) { on(d); n++; s.afterToken(ctx, n) }
	}
	rep, err := s.model.Answer(ctx, r)
	if err == nil {
		s.metrics.tokens(rep.CompletionTokens, rep.Decode)
	} else if errors.Is(err, context.Canceled) {
		s.metrics.cancelled.Add(1)
	}
	return rep, err
}

// retryAfter estimates the seconds until the queue has room: the waiting requests
// times the mean latency.
func (s *Server) retryAfter() int {
	mean := s.metrics.meanLatency()
	secs := int(float64(s.waiting.Load()+1)*mean.Seconds() + 0.999)
	return max(secs, 1)
}

func (s *Server) latestFrame(w http.ResponseWriter, r *http.Request) {
	if s.camera == nil {
		s.openaiError(w, &apiError{status: 404, typ: "invalid_request_error", code: "no_camera", msg: "this server has no camera (edge serve): run edge run --http"})
		return
	}
	f, ok := s.camera.LatestFrame()
	img, at := f.Image, f.Time
	if !ok {
		s.openaiError(w, &apiError{status: 503, typ: "server_error", code: "no_frame", msg: "the camera has no frame yet", retryAfter: 1})
		return
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		s.openaiError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Last-Modified", at.UTC().Format(http.TimeFormat))
	w.Header().Set("X-Frame-Time", at.UTC().Format(time.RFC3339Nano))
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) latestCaption(w http.ResponseWriter, r *http.Request) {
	if s.camera == nil {
		s.openaiError(w, &apiError{status: 404, typ: "invalid_request_error", code: "no_camera", msg: "this server has no camera (edge serve): run edge run --http"})
		return
	}
	text, at, ok := s.camera.LatestCaption()
	if !ok {
		s.openaiError(w, &apiError{status: 404, typ: "invalid_request_error", code: "no_caption", msg: "no caption yet"})
		return
	}
	writeJSON(w, 200, map[string]any{"text": text, "time": at.UTC().Format(time.RFC3339Nano), "model": s.model.Name()})
}

// metrics are the Prometheus counters.
type metrics struct {
	mu        sync.Mutex
	requests  map[string]uint64 // "path code"
	latSum    float64
	latCount  uint64
	buckets   []float64
	bucketN   []uint64
	tokN      uint64
	tokSecs   float64
	lastTPS   float64
	cancelled atomic.Uint64
}

func (m *metrics) init() {
	m.requests = map[string]uint64{}
	m.buckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	m.bucketN = make([]uint64, len(m.buckets))
}

func (m *metrics) request(path string, code int, d time.Duration) {
	switch path {
	case "/healthz", "/metrics", "/v1/chat/completions", "/v1/models", "/v1/frames/latest", "/v1/captions/latest",
		"/api/generate", "/api/chat", "/api/tags", "/api/version":
	default:
		path = "other" // unbounded label values would grow the page without end
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[fmt.Sprintf("path=%q,code=\"%d\"", path, code)]++
	if strings.HasPrefix(path, "/v1/chat") || path == "/api/generate" || path == "/api/chat" {
		s := d.Seconds()
		m.latSum += s
		m.latCount++
		for i, b := range m.buckets {
			if s <= b {
				m.bucketN[i]++
			}
		}
	}
}

func (m *metrics) tokens(n int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokN += uint64(n)
	m.tokSecs += d.Seconds()
	if d > 0 {
		m.lastTPS = float64(n) / d.Seconds()
	}
}

func (m *metrics) meanLatency() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.latCount == 0 {
		return time.Second
	}
	return time.Duration(m.latSum / float64(m.latCount) * float64(time.Second))
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	m := &s.metrics
	var b strings.Builder
	m.mu.Lock()
	b.WriteString("# HELP edge_http_requests_total HTTP requests by path and status code.\n# TYPE edge_http_requests_total counter\n")
	for k, v := range m.requests {
		fmt.Fprintf(&b, "edge_http_requests_total{%s} %d\n", k, v)
	}
	b.WriteString("# HELP edge_http_generation_seconds Latency of generation requests.\n# TYPE edge_http_generation_seconds histogram\n")
	for i, le := range m.buckets {
		fmt.Fprintf(&b, "edge_http_generation_seconds_bucket{le=\"%g\"} %d\n", le, m.bucketN[i])
	}
	fmt.Fprintf(&b, "edge_http_generation_seconds_bucket{le=\"+Inf\"} %d\nedge_http_generation_seconds_sum %g\nedge_http_generation_seconds_count %d\n", m.latCount, m.latSum, m.latCount)
	fmt.Fprintf(&b, "# HELP edge_http_tokens_total Tokens generated.\n# TYPE edge_http_tokens_total counter\nedge_http_tokens_total %d\n", m.tokN)
	avg := 0.0
	if m.tokSecs > 0 {
		avg = float64(m.tokN) / m.tokSecs
	}
	fmt.Fprintf(&b, "# HELP edge_http_tokens_per_second Decode speed: mean over all requests, and of the last one.\n# TYPE edge_http_tokens_per_second gauge\nedge_http_tokens_per_second{of=\"all\"} %g\nedge_http_tokens_per_second{of=\"last\"} %g\n", avg, m.lastTPS)
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP edge_http_queue_depth Requests waiting for the model.\n# TYPE edge_http_queue_depth gauge\nedge_http_queue_depth %d\n", s.waiting.Load())
	fmt.Fprintf(&b, "# HELP edge_http_cancelled_total Generations stopped because the client went away.\n# TYPE edge_http_cancelled_total counter\nedge_http_cancelled_total %d\n", m.cancelled.Load())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}

func itoa(n int) string { return strconv.Itoa(n) }
