package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/edgevlm/edge/httpapi"
)

// httpFlags are the HTTP API's flags (edge serve, edge run --http).
type httpFlags struct {
	apiKey  string
	queue   int
	timeout time.Duration
}

func (h *httpFlags) register(fs *flags) {
	fs.StringVar(&h.apiKey, "api-key", "", "bearer token clients must send (default $EDGE_API_KEY); required for a non-loopback address")
	fs.IntVar(&h.queue, "queue", 16, "requests that may wait for the model; more get 503 with Retry-After")
	fs.DurationVar(&h.timeout, "request-timeout", 2*time.Minute, "longest a request may take, waiting included")
}

func (h *httpFlags) config() httpapi.Config {
	key := h.apiKey
	if key == "" {
		key = os.Getenv("EDGE_API_KEY")
	}
	return httpapi.Config{APIKey: key, QueueSize: h.queue, RequestTimeout: h.timeout}
}

// listenHTTP checks the address against the key and listens.
func listenHTTP(addr string, cfg httpapi.Config) (net.Listener, error) {
	if err := httpapi.CheckBind(addr, cfg.APIKey); err != nil {
		return nil, usageError{err.Error()}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", addr, err)
	}
	return ln, nil
}

func serveCommand() command {
	c := command{name: "serve", summary: "Serve the model over HTTP in the OpenAI and Ollama dialects."}
	c.usage = `Usage: edge serve [--http 127.0.0.1:11434] [flags]

Endpoints: POST /v1/chat/completions and GET /v1/models (OpenAI), POST /api/generate,
POST /api/chat and GET /api/tags (Ollama), GET /healthz, GET /metrics (Prometheus).
Images travel in the request (OpenAI: image_url data URLs; Ollama: base64 images). A
message with an image and no text asks for a caption; with text, it is a question
("Question: … Answer:"). For questions about a camera, use edge run --http.

Examples:
  edge serve
  edge serve --http 0.0.0.0:11434 --api-key s3cret
  curl -s http://127.0.0.1:11434/v1/models
  printf '{"model":"blip2-shapes-opt","prompt":"what color is the background?","images":["%s"],"stream":false}' \
      "$(base64 -w0 testdata/demo/images/scene00.png)" | curl -s http://127.0.0.1:11434/api/generate -d @-`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		var hf httpFlags
		mf.register(fs)
		hf.register(fs)
		addr := fs.String("http", "127.0.0.1:11434", "address to listen on")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 0 {
			return usagef("edge serve takes no arguments")
		}
		cfg := hf.config()
		ln, err := listenHTTP(*addr, cfg)
		if err != nil {
			return err
		}
		defer ln.Close()
		m, err := mf.load(e)
		if err != nil {
			return err
		}
		defer m.Close()
		srv := httpapi.New(cfg, httpapi.NewBLIP2(m, modelName(m), nil), nil)
		fmt.Fprintf(e.stderr, "edge serve: model %s on http://%s\n", modelName(m), ln.Addr())
		return srv.Serve(ctx, ln)
	}
	return c
}
