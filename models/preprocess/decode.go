package preprocess

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registers GIF: Decode yields the first frame, as PIL's open does
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
)

// MaxPixels bounds the images Decode accepts, so a forged header cannot make
// the decoder allocate gigabytes (64 Mpx, e.g. 8192×8192).
const MaxPixels = 1 << 26

// DecodeFile decodes a PNG, JPEG or GIF file. Errors name the file.
func DecodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("preprocess: open image %s: %w", path, err)
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode decodes a PNG, JPEG or GIF stream; name identifies it in errors.
// Empty, truncated, unknown and zero-sized images are errors.
func Decode(r io.Reader, name string) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("preprocess: read image %s: %w", name, err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("preprocess: image %s: empty file", name)
	}
	// Check the header first: decoders size their buffers from it.
	hdr, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("preprocess: image %s: %w", name, err)
	}
	if err := checkSize(hdr.Width, hdr.Height); err != nil {
		return nil, fmt.Errorf("preprocess: %s image %s: %w", format, name, err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("preprocess: decode %s image %s: %w", format, name, err)
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy()); err != nil {
		return nil, fmt.Errorf("preprocess: %s image %s: %w", format, name, err)
	}
	return img, nil
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("zero-size image %dx%d", w, h)
	}
	if w > MaxPixels/h {
		return fmt.Errorf("image %dx%d exceeds %d pixels", w, h, MaxPixels)
	}
	return nil
}
