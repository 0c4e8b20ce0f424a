package camera

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // decoders for the files a folder may hold
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ImagesOptions configures an image file or folder source.
type ImagesOptions struct {
	// Loop starts again from the first image after the last instead of ending with io.EOF.
	Loop bool
}

// Images is a source that reads image files (PNG, JPEG, GIF) in order.
type Images struct {
	name  string
	paths []string
	loop  bool

	mu     sync.Mutex
	next   int
	seq    uint64
	closed bool
	cached *image.RGBA // the decoded image when there is only one file
}

// imageExts are the file types a folder source picks up (the decoders linked in above).
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

// OpenImage is a source that gives one image file: once, or again and again with Loop.
// It decodes the file now, so a missing or broken file fails here.
func OpenImage(path string, opts ImagesOptions) (*Images, error) {
	img, err := decodeFile(path)
	if err != nil {
		return nil, err
	}
	return &Images{name: path, paths: []string{path}, loop: opts.Loop, cached: img}, nil
}

// OpenFolder is a source that gives the images of a folder, sorted by name (not its
// subfolders). Files are decoded as they are read; one that fails to decode gives an
// error naming it, and the next Read goes on with the following file.
func OpenFolder(dir string, opts ImagesOptions) (*Images, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("camera: open folder %s: %w", dir, err)
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("camera: open folder %s: no .png, .jpg or .gif files", dir)
	}
	sort.Strings(paths)
	return &Images{name: dir, paths: paths, loop: opts.Loop}, nil
}

// Name is the file or folder path.
func (s *Images) Name() string { return s.name }

// Paths are the files the source reads, in order.
func (s *Images) Paths() []string { return append([]string(nil), s.paths...) }

// Read decodes the next image into a fresh RGBA frame.
func (s *Images) Read(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Frame{}, ErrClosed
	}
	if s.next >= len(s.paths) {
		if !s.loop {
			return Frame{}, io.EOF
		}
		s.next = 0
	}
	path := s.paths[s.next]
	s.next++
	var img *image.RGBA
	if s.cached != nil {
		// The caller owns the frame, so it gets its own copy.
		img = &image.RGBA{Pix: append([]uint8(nil), s.cached.Pix...), Stride: s.cached.Stride, Rect: s.cached.Rect}
	} else {
		var err error
		if img, err = decodeFile(path); err != nil {
			return Frame{}, err
		}
	}
	s.seq++
	return Frame{Image: img, Time: time.Now(), Seq: s.seq}, nil
}

// Close ends the source; later Reads give ErrClosed.
func (s *Images) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.cached = nil
	return nil
}

// decodeFile reads an image of any linked format as RGBA with its origin at (0, 0).
func decodeFile(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("camera: open image %s: %w", path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("camera: decode image %s: %w", path, err)
	}
	return ToRGBA(img), nil
}

// ToRGBA converts any image to RGBA with its origin at (0, 0), without copying one
// that already is.
func ToRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}
