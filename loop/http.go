package loop

import "time"

// HTTPConfig is the HTTP API of `edge run` (the httpapi package; cmd/edge wires it up).
type HTTPConfig struct {
	// Addr is host:port to listen on; empty: no HTTP API.
	Addr string `yaml:"addr"`
	// APIKey is the bearer token clients send; required for a non-loopback Addr.
	APIKey string `yaml:"api_key"`
	// Queue is how many requests may wait for the model (0: 16).
	Queue int `yaml:"queue"`
	// RequestTimeout bounds a request, waiting included (0: 2m).
	RequestTimeout time.Duration `yaml:"request_timeout"`
}
