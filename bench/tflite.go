package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/runtime/tflite"
)

// tfliteRunner is the same image path exported to TFLite and run with XNNPack, when the
// bench is built with -tags tflite and the library is installed (run.sh does both).
type tfliteRunner struct {
	eng    *tflite.Engine
	pixels []float32
	out    []float32
}

// openTFLite exports dir's image path and opens it; it returns nil and the reason when
// TFLite is not available, so the race goes on without it.
func openTFLite(ctx context.Context, dir string, threads int, pixels []float32) (*tfliteRunner, string, error) {
	f, err := os.CreateTemp("", "bench-*.tflite")
	if err != nil {
		return nil, "", err
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := blip2.WriteTFLite(ctx, dir, f.Name(), blip2.TFLiteOptions{}); err != nil {
		return nil, "", fmt.Errorf("export to TFLite: %w", err)
	}
	eng, err := tflite.Open(f.Name(), tflite.Config{Threads: threads})
	if errors.Is(err, tflite.ErrNotBuilt) || errors.Is(err, tflite.ErrLibrary) {
		return nil, err.Error(), nil
	}
	if err != nil {
		return nil, "", err
	}
	return &tfliteRunner{eng: eng, pixels: pixels}, "", nil
}

func (t *tfliteRunner) run() error {
	out, err := t.eng.Run(context.Background(), t.pixels)
	if err == nil {
		t.out = out
	}
	return err
}

func (t *tfliteRunner) close() { t.eng.Close() }
