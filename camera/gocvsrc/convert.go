//go:build cgo && !nogocv

package gocvsrc

import (
	"fmt"
	"image"
	"image/draw"

	"gocv.io/x/gocv"
)

// matToRGBA converts an 8-bit BGR, BGRA or gray Mat to a Go-owned RGBA image.
func matToRGBA(m gocv.Mat) (*image.RGBA, error) {
	var code gocv.ColorConversionCode
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
		code = gocv.ColorBGRToRGBA
	case gocv.MatTypeCV8UC4:
		code = gocv.ColorBGRAToRGBA
	case gocv.MatTypeCV8UC1:
		code = gocv.ColorGrayToBGRA // gray has no channel order: the same as to RGBA
	default:
		return nil, fmt.Errorf("frame of Mat type %v: want 8-bit gray, BGR or BGRA", m.Type())
	}
	rgba := gocv.NewMat()
	defer rgba.Close()
	gocv.CvtColor(m, &rgba, code)
	data, err := rgba.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	w, h := rgba.Cols(), rgba.Rows()
	if len(data) != w*h*4 {
		return nil, fmt.Errorf("converted frame has %d bytes, want %d×%d×4", len(data), w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	copy(img.Pix, data) // out of C memory before the Mat is closed
	return img, nil
}

// imageToBGR makes a BGR Mat of img; the caller closes it.
func imageToBGR(img image.Image) (gocv.Mat, error) {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) || rgba.Stride != 4*b.Dx() {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	m := gocv.NewMatWithSize(b.Dy(), b.Dx(), gocv.MatTypeCV8UC3)
	data, err := m.DataPtrUint8()
	if err != nil {
		m.Close()
		return gocv.Mat{}, err
	}
	// The Mat owns C memory; fill it from Go without handing Go pointers to C.
	for i, j := 0, 0; i < len(rgba.Pix); i, j = i+4, j+3 {
		data[j], data[j+1], data[j+2] = rgba.Pix[i+2], rgba.Pix[i+1], rgba.Pix[i]
	}
	return m, nil
}
