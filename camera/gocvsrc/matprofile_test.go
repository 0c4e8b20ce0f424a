//go:build matprofile && cgo && !nogocv

package gocvsrc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gocv.io/x/gocv"
)

// Every Mat is closed right after use: none is alive between reads or after a write.
// Run with: go test -race -tags matprofile ./camera/gocvsrc/
func TestNoMatLeaks(t *testing.T) {
	leaks := func() string {
		var b bytes.Buffer
		_ = gocv.MatProfile.WriteTo(&b, 1)
		return b.String()
	}
	base := gocv.MatProfile.Count()
	frames, _ := syntheticClip(t, 10, 5)
	path := filepath.Join(t.TempDir(), "clip.avi")
	require.NoError(t, WriteVideo(path, frames, 10))
	require.Equal(t, base, gocv.MatProfile.Count(), "after WriteVideo: %s", leaks())

	src, err := OpenCapture(path, Options{})
	require.NoError(t, err)
	n := 0
	for {
		_, err := src.Read(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		n++
		require.Equal(t, base, gocv.MatProfile.Count(), "after frame %d: %s", n, leaks())
	}
	require.Equal(t, 10, n)
	require.NoError(t, src.Close())
	require.Equal(t, base, gocv.MatProfile.Count(), leaks())
	require.Zero(t, gocv.MatProfile.Count(), leaks())
}
