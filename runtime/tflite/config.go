// Package tflite is the TensorFlow Lite engine: it writes graphs (Recorder, a backend
// whose operations append TFLite operators, so a model's own forward pass becomes a
// .tflite file: see blip2.ExportTFLite), checks files before TFLite sees them (Verify),
// and runs them through go-tflite, on the CPU with the XNNPack delegate where the
// library has it. It imports nothing of the project outside runtime/.
//
// The engine is built with the `tflite` build tag; without it Open reports
// ErrNotBuilt. With the tag, the TFLite C library (libtensorflowlite_c.so, TFLite 2.9,
// from the npm package tfjs-tflite-node: see scripts/install-tflite.sh) is opened at run
// time, so a binary built with the tag still starts where the library is missing and
// Open says so (ErrLibrary). Compiling with the tag needs
// CGO_CFLAGS=-I<repo>/runtime/tflite/include for go-tflite's cgo code.
//
// Its room in docs/architecture.md: backends: imports only runtime/ and its kernels.
package tflite

import (
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
)

// ErrNotBuilt is returned by Open in a binary built without the tflite tag.
var ErrNotBuilt = errors.New("tflite: this binary was built without the tflite build tag (build with -tags tflite)")

// ErrLibrary marks a TFLite C library that cannot be loaded.
var ErrLibrary = errors.New("tflite: the TensorFlow Lite C library is not available")

// LibraryEnv names the environment variable that gives the library's path.
const LibraryEnv = "EDGE_TFLITE_LIB"

// Config says how to run a model.
type Config struct {
	// LibraryPath is libtensorflowlite_c.so; empty means $EDGE_TFLITE_LIB, then the
	// copy scripts/install-tflite.sh puts under third_party/tflite (found from the
	// working directory upwards), then the dynamic loader's search path.
	LibraryPath string
	// Threads for TFLite and XNNPack (0: every core).
	Threads int
	// NoXNNPack runs TFLite's built-in kernels only.
	NoXNNPack bool
}

// NpmLibrary is where scripts/install-tflite.sh leaves the library, relative to the
// repository root.
func NpmLibrary() string {
	return filepath.Join("third_party", "tflite", "node_modules", "tfjs-tflite-node", "cc_deps",
		"linux_"+goruntime.GOARCH, "libtensorflowlite_c.so")
}

// libraryPath resolves cfg.LibraryPath as documented.
func (cfg Config) libraryPath() string {
	if cfg.LibraryPath != "" {
		return cfg.LibraryPath
	}
	if p := os.Getenv(LibraryEnv); p != "" {
		return p
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			p := filepath.Join(dir, NpmLibrary())
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "libtensorflowlite_c.so"
}

func (cfg Config) threads() int {
	if cfg.Threads > 0 {
		return cfg.Threads
	}
	return goruntime.NumCPU()
}
