package cuda

import (
	"errors"
	"fmt"
)

// ErrNoLibrary is wrapped by Open's error when libedgecuda.so cannot be found or loaded.
var ErrNoLibrary = errors.New("CUDA library unavailable")

// ErrNoDevice is wrapped by Open's error when the library loaded but no GPU can be used.
var ErrNoDevice = errors.New("no CUDA device")

// Status codes of libedgecuda (edgecuda.h: edge_status).
const (
	statusOK          = 0
	statusArgument    = 1
	statusCUDA        = 2
	statusCUBLAS      = 3
	statusNoDevice    = 4
	statusUnsupported = 5
)

// Error is a failure reported by libedgecuda: the entry point, its status and the
// library's message (which names the failing call and its arguments).
type Error struct {
	Op     string // the C entry point, e.g. "edge_linear_f16"
	Status int32
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("cuda: %s: %s: %s", e.Op, statusName(e.Status), e.Msg)
}

// Unsupported reports whether the library declined the shapes (another path may run them).
func (e *Error) Unsupported() bool { return e.Status == statusUnsupported }

func statusName(s int32) string {
	switch s {
	case statusOK:
		return "ok"
	case statusArgument:
		return "bad argument"
	case statusCUDA:
		return "CUDA error"
	case statusCUBLAS:
		return "cuBLAS error"
	case statusNoDevice:
		return "no CUDA device"
	case statusUnsupported:
		return "unsupported"
	default:
		return fmt.Sprintf("status %d", s)
	}
}
