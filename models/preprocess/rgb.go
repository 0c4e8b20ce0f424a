package preprocess

import (
	"fmt"
	"image"
	"image/color"
)

// RGB is an 8-bit RGB image: R,G,B interleaved, rows packed (stride 3*W).
type RGB struct {
	W, H int
	Pix  []uint8
}

// check reports an RGB whose size and buffer disagree.
func (m *RGB) check() error {
	if m == nil {
		return fmt.Errorf("preprocess: nil image")
	}
	if err := checkSize(m.W, m.H); err != nil {
		return fmt.Errorf("preprocess: %w", err)
	}
	if len(m.Pix) != 3*m.W*m.H {
		return fmt.Errorf("preprocess: %dx%d RGB image has %d bytes, want %d", m.W, m.H, len(m.Pix), 3*m.W*m.H)
	}
	return nil
}

// reshape sets the size, reusing the buffer when it is large enough.
func (m *RGB) reshape(w, h int) {
	n := 3 * w * h
	if cap(m.Pix) < n {
		m.Pix = make([]uint8, n)
	}
	m.W, m.H, m.Pix = w, h, m.Pix[:n]
}

// ToRGB converts img as PIL's Image.convert("RGB") does for the image PIL
// would have opened from the same file:
//   - gray: R=G=B; 16-bit gray (PIL "I;16"): values above 255 clip to 255;
//   - alpha is dropped without compositing (straight colour of NRGBA/NRGBA64;
//     premultiplied RGBA is un-premultiplied first, as PIL's "RGBa" is);
//   - 16-bit colour keeps the high byte, as PIL's PNG reader does;
//   - paletted: the palette colours; CMYK: PIL's cmyk2rgb;
//   - YCbCr (JPEG): libjpeg's fancy chroma upsampling and integer conversion.
//
// It returns nil when img is nil, empty or malformed; Apply says which.
func ToRGB(img image.Image) *RGB {
	var m RGB
	if toRGB(img, &m) != nil {
		return nil
	}
	return &m
}

// toRGB converts img into dst, reusing dst's buffer.
func toRGB(img image.Image, dst *RGB) error {
	if img == nil {
		return fmt.Errorf("preprocess: nil image")
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy()); err != nil {
		return fmt.Errorf("preprocess: %w", err)
	}
	w, h := b.Dx(), b.Dy()
	dst.reshape(w, h)
	out := dst.Pix
	switch m := img.(type) {
	case *image.RGBA:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 4, w) {
			return errMalformed(img)
		}
		copyRGBX(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, w, h, true)
	case *image.NRGBA:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 4, w) {
			return errMalformed(img)
		}
		copyRGBX(out, m.Pix, m.PixOffset(b.Min.X, b.Min.Y), m.Stride, w, h, false)
	case *image.Gray:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 1, w) {
			return errMalformed(img)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				v := row[x]
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 2, w) {
			return errMalformed(img)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				// PIL's I16_RGB: the low byte when the high byte is zero, else 255.
				v := row[2*x+1]
				if row[2*x] != 0 {
					v = 255
				}
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.NRGBA64:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 8, w) {
			return errMalformed(img)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				o[3*x], o[3*x+1], o[3*x+2] = row[8*x], row[8*x+2], row[8*x+4]
			}
		}
	case *image.RGBA64:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 8, w) {
			return errMalformed(img)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				p := row[8*x : 8*x+8]
				if p[6] == 0xff && p[7] == 0xff { // opaque: straight high bytes
					o[3*x], o[3*x+1], o[3*x+2] = p[0], p[2], p[4]
					continue
				}
				o[3*x], o[3*x+1], o[3*x+2] = generic8(m.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	case *image.Paletted:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 1, w) {
			return errMalformed(img)
		}
		var pal [256][3]uint8 // indices past the palette read as black
		for i, c := range m.Palette {
			if i == len(pal) {
				break
			}
			pal[i][0], pal[i][1], pal[i][2] = generic8(c)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				p := &pal[row[x]]
				o[3*x], o[3*x+1], o[3*x+2] = p[0], p[1], p[2]
			}
		}
	case *image.CMYK:
		if !pixCovers(len(m.Pix), m.Stride, m.PixOffset(b.Min.X, b.Min.Y), m.PixOffset(b.Max.X-1, b.Max.Y-1), 4, w) {
			return errMalformed(img)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[3*w*y:]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				nk := 255 - int(p[3])
				o[3*x] = cmykChannel(p[0], nk)
				o[3*x+1] = cmykChannel(p[1], nk)
				o[3*x+2] = cmykChannel(p[2], nk)
			}
		}
	case *image.YCbCr:
		return ycbcrToRGB(m, out)
	case *image.NYCbCrA:
		return ycbcrToRGB(&m.YCbCr, out)
	default:
		genericToRGB(img, out)
	}
	return nil
}

// rgbxSource gives the pixel buffer of an RGBA or NRGBA image whose buffer
// covers its bounds: first pixel offset, stride, and whether the colour is
// premultiplied.
func rgbxSource(img image.Image) (pix []uint8, off, stride int, premul, ok bool) {
	var min, max image.Point
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, premul = m.Pix, m.Stride, true
		min, max = m.Rect.Min, m.Rect.Max
		if m.Rect.Empty() {
			return nil, 0, 0, false, false
		}
		off = m.PixOffset(min.X, min.Y)
		ok = pixCovers(len(pix), stride, off, m.PixOffset(max.X-1, max.Y-1), 4, max.X-min.X)
	case *image.NRGBA:
		pix, stride = m.Pix, m.Stride
		min, max = m.Rect.Min, m.Rect.Max
		if m.Rect.Empty() {
			return nil, 0, 0, false, false
		}
		off = m.PixOffset(min.X, min.Y)
		ok = pixCovers(len(pix), stride, off, m.PixOffset(max.X-1, max.Y-1), 4, max.X-min.X)
	}
	if ok && checkSize(max.X-min.X, max.Y-min.Y) != nil {
		ok = false
	}
	return pix, off, stride, premul, ok
}

// copyRGBX drops the fourth byte of 4-byte pixels; premultiplied colour is
// un-premultiplied first.
func copyRGBX(out, pix []uint8, off, stride, w, h int, premultiplied bool) {
	for y := 0; y < h; y++ {
		rgbxRow(out[3*w*y:3*w*(y+1)], pix[off+y*stride:off+y*stride+4*w], premultiplied)
	}
}

// rgbxRowGo converts one row of 4-byte pixels (len(src) = 4n) into packed
// RGB (len(dst) = 3n).
func rgbxRowGo(dst, src []uint8, premultiplied bool) {
	for len(src) >= 4 && len(dst) >= 3 {
		dst[0], dst[1], dst[2] = src[0], src[1], src[2]
		if premultiplied && src[3] != 255 { // image/png's RGBA is always opaque
			unpremulPixel(dst[:3], src[3])
		}
		src, dst = src[4:], dst[3:]
	}
}

// rgbxRow is rgbxRowGo or its vector version (kernels_*.go).
var rgbxRow = rgbxRowGo

// unpremulPixel un-premultiplies one pixel in place (kept out of line: rare).
//
//go:noinline
func unpremulPixel(p []uint8, a uint8) {
	p[0], p[1], p[2] = unpremul8(p[0], p[1], p[2], a)
}

// pixCovers reports whether a Pix-backed image's buffer holds its bounds, so
// a malformed hand-built image gives an error instead of an index panic.
func pixCovers(n, stride, first, last, bpp, w int) bool {
	return first >= 0 && stride >= bpp*w && last >= first && last+bpp <= n
}

func errMalformed(img image.Image) error {
	return fmt.Errorf("preprocess: malformed %T %v: pixel buffer too small", img, img.Bounds())
}

// unpremul8 undoes premultiplication the way PIL's RGBa→RGB does.
func unpremul8(r, g, b, a uint8) (uint8, uint8, uint8) {
	if a == 255 || a == 0 {
		return r, g, b
	}
	return unpremulChannel(r, a), unpremulChannel(g, a), unpremulChannel(b, a)
}

func unpremulChannel(c, a uint8) uint8 {
	return uint8(min(255*int(c)/int(a), 255))
}

// generic8 gives the straight (non-premultiplied) 8-bit colour of any color.Color.
func generic8(c color.Color) (uint8, uint8, uint8) {
	switch v := c.(type) {
	case color.NRGBA:
		return v.R, v.G, v.B
	case color.RGBA:
		return unpremul8(v.R, v.G, v.B, v.A)
	case color.NRGBA64:
		return uint8(v.R >> 8), uint8(v.G >> 8), uint8(v.B >> 8)
	case color.Gray:
		return v.Y, v.Y, v.Y
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)
}

// cmykChannel is PIL's cmyk2rgb for one channel: nk - c·nk/255 with MULDIV255 rounding.
func cmykChannel(c uint8, nk int) uint8 {
	t := int(c)*nk + 128
	return uint8(min(max(nk-((t>>8)+t)>>8, 0), 255))
}
