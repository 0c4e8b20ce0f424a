package camera

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImageFrame: any bytes in a .jpg or .png file either fail to open or read with a
// clear error, or give a frame with a picture in it; never a panic.
func FuzzImageFrame(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(p.Bytes(), true)
	f.Add(j.Bytes(), false)
	f.Add([]byte("\x89PNG\r\n\x1a\n"), true)
	f.Add([]byte{0xff, 0xd8, 0xff}, false)
	f.Fuzz(func(t *testing.T, data []byte, asPNG bool) {
		name := "frame.jpg"
		if asPNG {
			name = "frame.png"
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenImage(path, ImagesOptions{})
		if err != nil {
			return
		}
		defer src.Close()
		fr, err := src.Read(context.Background())
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if fr.Image == nil || fr.Image.Bounds().Empty() || fr.Seq == 0 {
			t.Fatalf("frame %d with image %v", fr.Seq, fr.Image)
		}
	})
}
