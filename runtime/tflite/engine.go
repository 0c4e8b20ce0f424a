//go:build tflite && cgo

package tflite

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo LDFLAGS: -L${SRCDIR}/linkstub -ldl -lpthread
#include <stdlib.h>
#include "loader.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"unsafe"

	gotflite "github.com/tphakala/go-tflite"
	"github.com/tphakala/go-tflite/delegates/xnnpack"
)

// Engine is one TFLite interpreter over an exported image path. Run is safe for
// concurrent use; calls are serialised, as a TFLite interpreter is single-threaded.
type Engine struct {
	mu       sync.Mutex
	interp   *gotflite.Interpreter // keeps its model, options and delegate alive
	in, out  *gotflite.Tensor
	inShape  []int
	outShape []int
	delegate string
	Info     *Info
}

// LoadLibrary opens the TFLite C library for this process (once; later calls reuse
// it) and reports ErrLibrary with the loader's reason when it cannot.
func LoadLibrary(cfg Config) error {
	path := cfg.libraryPath()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var reason [512]C.char
	if C.edge_tflite_load(cpath, &reason[0], C.size_t(len(reason))) == 0 {
		return fmt.Errorf("%w: %s (set %s to libtensorflowlite_c.so, or run scripts/install-tflite.sh)",
			ErrLibrary, C.GoString(&reason[0]), LibraryEnv)
	}
	return nil
}

// Open checks the .tflite file at path, then loads it into a TFLite interpreter.
func Open(path string, cfg Config) (*Engine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	info, err := Verify(data)
	if err != nil {
		return nil, fmt.Errorf("tflite: %s: %w", path, err)
	}
	if len(info.Inputs) != 1 || len(info.Outputs) != 1 {
		return nil, fmt.Errorf("tflite: %s has %d inputs and %d outputs, want one of each", path, len(info.Inputs), len(info.Outputs))
	}
	if err := LoadLibrary(cfg); err != nil {
		return nil, err
	}
	model := gotflite.NewModel(data)
	if model == nil {
		return nil, fmt.Errorf("tflite: %s: the TFLite library refused the model (its reason is on stderr)", path)
	}
	opts := gotflite.NewInterpreterOptions()
	if opts == nil {
		return nil, fmt.Errorf("tflite: cannot create interpreter options")
	}
	threads := cfg.threads()
	opts.SetNumThread(threads)
	e := &Engine{Info: info, delegate: "none"}
	if !cfg.NoXNNPack && C.edge_tflite_has_xnnpack() != 0 {
		if d := xnnpack.New(xnnpack.DelegateOptions{NumThreads: int32(threads)}); d != nil {
			opts.AddDelegate(d)
			e.delegate = "xnnpack"
		}
	}
	e.interp = gotflite.NewInterpreter(model, opts)
	if e.interp == nil {
		return nil, fmt.Errorf("tflite: %s: TFLite could not build an interpreter (its reason is on stderr)", path)
	}
	if st := e.interp.AllocateTensors(); st != gotflite.OK {
		return nil, fmt.Errorf("tflite: %s: allocating tensors failed (status %d)", path, st)
	}
	if e.interp.GetInputTensorCount() != 1 || e.interp.GetOutputTensorCount() != 1 {
		return nil, fmt.Errorf("tflite: %s: interpreter has %d inputs and %d outputs", path, e.interp.GetInputTensorCount(), e.interp.GetOutputTensorCount())
	}
	e.in, e.out = e.interp.GetInputTensor(0), e.interp.GetOutputTensor(0)
	if e.in == nil || e.out == nil || e.in.Type() != gotflite.Float32 || e.out.Type() != gotflite.Float32 {
		return nil, fmt.Errorf("tflite: %s: input and output must be float32", path)
	}
	e.inShape, e.outShape = e.in.Shape(), e.out.Shape()
	if len(e.outShape) < 2 || e.outShape[0] != 1 {
		return nil, fmt.Errorf("tflite: %s: output shape %v, want [1, queries, width]", path, e.outShape)
	}
	return e, nil
}

// InputShape is the model's input shape, [1, channels, size, size] for an image path.
func (e *Engine) InputShape() []int { return slices.Clone(e.inShape) }

// Delegate says what runs the graph: "xnnpack" or "none" (TFLite's own kernels; nodes
// XNNPack does not take run there too).
func (e *Engine) Delegate() string { return e.delegate }

// Run feeds preprocessed pixel values [channels·size·size] through the model and returns
// its output without the batch dimension: the prefix [numQuery, lmEmbed].
func (e *Engine) Run(ctx context.Context, pixels []float32) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.interp == nil {
		return nil, fmt.Errorf("tflite: engine is closed")
	}
	if want := int(e.in.ByteSize() / 4); len(pixels) != want {
		return nil, fmt.Errorf("tflite: %d pixel values, the model takes %v (%d)", len(pixels), e.inShape, want)
	}
	if st := e.in.CopyFromBuffer(pixels); st != gotflite.OK {
		return nil, fmt.Errorf("tflite: copying the input failed (status %d)", st)
	}
	if st := e.interp.Invoke(); st != gotflite.OK {
		return nil, fmt.Errorf("tflite: invoke failed (status %d; TFLite's reason is on stderr)", st)
	}
	out := make([]float32, e.out.ByteSize()/4)
	if st := e.out.CopyToBuffer(out); st != gotflite.OK {
		return nil, fmt.Errorf("tflite: copying the output failed (status %d)", st)
	}
	return out, nil
}

// Close drops the interpreter; go-tflite frees the TFLite objects once they are
// unreachable.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.interp, e.in, e.out = nil, nil, nil
	return nil
}
