//go:build !tflite || !cgo

package tflite

import (
	"context"
)

// Engine runs an exported image path; without the tflite tag it cannot be opened.
type Engine struct {
	Info *Info
}

// LoadLibrary reports ErrNotBuilt: rebuild with -tags tflite.
func LoadLibrary(cfg Config) error { return ErrNotBuilt }

// Open reports ErrNotBuilt: rebuild with -tags tflite.
func Open(path string, cfg Config) (*Engine, error) { return nil, ErrNotBuilt }

// InputShape is never known without the tflite tag.
func (e *Engine) InputShape() []int { return nil }

// Delegate names the accelerator in use.
func (e *Engine) Delegate() string { return "" }

// Run is never reached without the tflite tag.
func (e *Engine) Run(ctx context.Context, pixels []float32) ([]float32, error) {
	return nil, ErrNotBuilt
}

// Close releases nothing.
func (e *Engine) Close() error { return nil }
