//go:build cgo && !nogocv

package gocvsrc

import (
	"fmt"
	"image"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"
)

// WriteVideo writes frames as an MJPG video (use a .avi path) at fps. All frames must be
// the same size. The file appears whole or not at all: it is written under a temporary
// name in the same folder and renamed at the end.
func WriteVideo(path string, frames []image.Image, fps float64) (err error) {
	if len(frames) == 0 {
		return fmt.Errorf("gocvsrc: write video %s: no frames", path)
	}
	if !(fps > 0) {
		return fmt.Errorf("gocvsrc: write video %s: fps %v must be positive", path, fps)
	}
	size := frames[0].Bounds().Size()
	if size.X <= 0 || size.Y <= 0 {
		return fmt.Errorf("gocvsrc: write video %s: empty first frame", path)
	}
	for i, f := range frames {
		if f == nil || f.Bounds().Size() != size {
			return fmt.Errorf("gocvsrc: write video %s: frame %d is not %dx%d like frame 0", path, i, size.X, size.Y)
		}
	}
	// OpenCV would try other backends on a bad folder and only say "cannot open".
	if st, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("gocvsrc: write video %s: %w", path, err)
	} else if !st.IsDir() {
		return fmt.Errorf("gocvsrc: write video %s: %s is not a folder", path, filepath.Dir(path))
	}
	// OpenCV picks the container from the extension, so the temporary name keeps it.
	tmp := filepath.Join(filepath.Dir(path), ".partial-"+filepath.Base(path))
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	vw, err := gocv.VideoWriterFile(tmp, "MJPG", fps, size.X, size.Y, true)
	if err != nil {
		return fmt.Errorf("gocvsrc: write video %s: %w", path, err)
	}
	if !vw.IsOpened() {
		vw.Close()
		return fmt.Errorf("gocvsrc: write video %s: OpenCV cannot open an MJPG writer there", path)
	}
	for i, f := range frames {
		if err := writeFrame(vw, f); err != nil {
			vw.Close()
			return fmt.Errorf("gocvsrc: write video %s: frame %d: %w", path, i, err)
		}
	}
	if err := vw.Close(); err != nil {
		return fmt.Errorf("gocvsrc: write video %s: %w", path, err)
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return fmt.Errorf("gocvsrc: write video %s: OpenCV wrote nothing: %w", path, err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("gocvsrc: write video %s: OpenCV wrote an empty file", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("gocvsrc: write video %s: %w", path, err)
	}
	return nil
}

func writeFrame(vw *gocv.VideoWriter, img image.Image) error {
	m, err := imageToBGR(img)
	if err != nil {
		return err
	}
	defer m.Close()
	return vw.Write(m)
}
