//go:build !cgo || nogocv

package gocvsrc

import (
	"image"

	"github.com/edgevlm/edge/camera"
)

// Open fails: this build has no OpenCV.
func Open(spec string, opts Options) (camera.Source, error) {
	if _, err := ParseSpec(spec); err != nil {
		return nil, err
	}
	return nil, ErrNoOpenCV
}

// WriteVideo fails: this build has no OpenCV.
func WriteVideo(path string, frames []image.Image, fps float64) error { return ErrNoOpenCV }

// OpenReopening fails: this build has no OpenCV.
func OpenReopening(spec string, opts Options, cfg camera.ReopenConfig) (*camera.Reopening, error) {
	if _, err := ParseSpec(spec); err != nil {
		return nil, err
	}
	return nil, ErrNoOpenCV
}
