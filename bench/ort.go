package main

import (
	"fmt"

	onnx "github.com/yalue/onnxruntime_go"
)

// ortRuntime is the ONNX Runtime library loaded once for the process.
type ortRuntime struct {
	version string
}

func openORT(lib string) (*ortRuntime, error) {
	onnx.SetSharedLibraryPath(lib)
	if err := onnx.InitializeEnvironment(onnx.WithLogLevelError()); err != nil {
		return nil, fmt.Errorf("load ONNX Runtime from %s: %w", lib, err)
	}
	return &ortRuntime{version: onnx.GetVersion()}, nil
}

func (o *ortRuntime) close() { _ = onnx.DestroyEnvironment() }

// ortSession is one model with its input and output bound, ready to run.
type ortSession struct {
	s      *onnx.AdvancedSession
	in     *onnx.Tensor[float32]
	out    *onnx.Tensor[float32]
	opts   *onnx.SessionOptions
	closed bool
}

// session opens path with threads intra-op threads, one inter-op thread and
// sequential execution (ONNX Runtime's own CPU setup for one request at a time).
func (o *ortRuntime) session(path string, threads int, pixels []float32, outLen int) (*ortSession, error) {
	ins, outs, err := onnx.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(ins) != 1 || len(outs) != 1 {
		return nil, fmt.Errorf("%s: want one input and one output, have %d and %d", path, len(ins), len(outs))
	}
	opts, err := onnx.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	s := &ortSession{opts: opts}
	for _, set := range []func() error{
		func() error { return opts.SetIntraOpNumThreads(threads) },
		func() error { return opts.SetInterOpNumThreads(1) },
		func() error { return opts.SetExecutionMode(onnx.ExecutionModeSequential) },
	} {
		if err := set(); err != nil {
			s.close()
			return nil, err
		}
	}
	size := len(pixels) / 3
	side := 1
	for side*side < size {
		side++
	}
	if s.in, err = onnx.NewTensor(onnx.NewShape(1, 3, int64(side), int64(side)), append([]float32(nil), pixels...)); err != nil {
		s.close()
		return nil, err
	}
	// The output's batch and token dimensions are dynamic: fill them from outLen.
	dims := outs[0].Dimensions
	last := dims[len(dims)-1]
	if len(dims) != 3 || last <= 0 || int64(outLen)%last != 0 {
		s.close()
		return nil, fmt.Errorf("%s: output %s has shape %v, want [batch, tokens, width] holding %d values", path, outs[0].Name, dims, outLen)
	}
	outShape := onnx.NewShape(1, int64(outLen)/last, last)
	if s.out, err = onnx.NewEmptyTensor[float32](outShape); err != nil {
		s.close()
		return nil, err
	}
	s.s, err = onnx.NewAdvancedSession(path, []string{ins[0].Name}, []string{outs[0].Name},
		[]onnx.Value{s.in}, []onnx.Value{s.out}, opts)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("open %s in ONNX Runtime: %w", path, err)
	}
	return s, nil
}

func (s *ortSession) run() error { return s.s.Run() }

func (s *ortSession) output() []float32 { return s.out.GetData() }

func (s *ortSession) close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.s != nil {
		s.s.Destroy()
	}
	if s.in != nil {
		s.in.Destroy()
	}
	if s.out != nil {
		s.out.Destroy()
	}
	s.opts.Destroy()
}
