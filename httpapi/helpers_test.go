package httpapi

import (
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
)

// encodeSmallPNG writes img scaled down to size×size (nearest neighbour).
func encodeSmallPNG(w io.Writer, img image.Image, size int) error {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/size, b.Min.Y+y*b.Dy()/size))
		}
	}
	return png.Encode(w, out)
}

func newTestServer(t interface{ Cleanup(func()) }, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
