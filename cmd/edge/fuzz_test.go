package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRunConfig: any YAML file given to `edge run --config` is loaded and validated
// or refused with a one-line error naming the file; never a panic.
func FuzzRunConfig(f *testing.F) {
	for _, s := range []string{
		"", "camera:\n  source: synthetic\n  stall_timeout: 5s\n", "mqtt:\n  queue_size: -1\n",
		"schedule: {mode: change, interval: 2s}\n", "mqtt:\n  ask_limits: {per_client_rate: 1, per_client_burst: 2}\n",
		"model: [1, 2]\n", "nope: 1\n", "camera:\n  stall_timeout: forever\n", "\t- x", "a: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "edge.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadRunConfig(path)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
				t.Fatalf("error does not name %s on one line: %q", path, msg)
			}
			return
		}
		cfg.Defaults()
		_ = cfg.Validate()
	})
}
