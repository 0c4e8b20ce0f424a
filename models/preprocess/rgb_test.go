package preprocess

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestToRGBModes(t *testing.T) {
	gray16 := func(v uint16) image.Image {
		m := image.NewGray16(image.Rect(0, 0, 1, 1))
		m.SetGray16(0, 0, color.Gray16{Y: v})
		return m
	}
	tests := []struct {
		name string
		img  image.Image
		want [3]uint8
	}{
		{"gray", fill(image.NewGray(image.Rect(0, 0, 1, 1)), color.Gray{Y: 77}), [3]uint8{77, 77, 77}},
		// PIL opens 16-bit gray PNG as "I;16"; convert("RGB") clips at 255.
		{"gray16 small", gray16(200), [3]uint8{200, 200, 200}},
		{"gray16 256", gray16(256), [3]uint8{255, 255, 255}},
		{"gray16 max", gray16(65535), [3]uint8{255, 255, 255}},
		{"rgba opaque", fill(image.NewRGBA(image.Rect(0, 0, 1, 1)), color.RGBA{10, 20, 30, 255}), [3]uint8{10, 20, 30}},
		// Premultiplied input is un-premultiplied as PIL's RGBa→RGB: 255·c/a.
		{"rgba premultiplied", fill(image.NewRGBA(image.Rect(0, 0, 1, 1)), color.RGBA{50, 100, 0, 128}), [3]uint8{99, 199, 0}},
		{"rgba transparent", fill(image.NewRGBA(image.Rect(0, 0, 1, 1)), color.RGBA{}), [3]uint8{0, 0, 0}},
		// Straight alpha is dropped, colour kept even when fully transparent.
		{"nrgba transparent", fill(image.NewNRGBA(image.Rect(0, 0, 1, 1)), color.NRGBA{200, 100, 50, 0}), [3]uint8{200, 100, 50}},
		{"nrgba64", fill(image.NewNRGBA64(image.Rect(0, 0, 1, 1)), color.NRGBA64{0x12ff, 0xab00, 0x0101, 0}), [3]uint8{0x12, 0xab, 0x01}},
		{"rgba64 opaque", fill(image.NewRGBA64(image.Rect(0, 0, 1, 1)), color.RGBA64{0x12ff, 0xab00, 0x0101, 0xffff}), [3]uint8{0x12, 0xab, 0x01}},
		{"paletted nrgba", fill(image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.NRGBA{1, 2, 3, 4}, color.NRGBA{9, 8, 7, 0}}), color.NRGBA{9, 8, 7, 0}), [3]uint8{9, 8, 7}},
		{"paletted rgba", fill(image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.RGBA{40, 50, 60, 255}}), color.RGBA{40, 50, 60, 255}), [3]uint8{40, 50, 60}},
		// PIL's cmyk2rgb: nk - MULDIV255(c, nk), nk = 255-k.
		{"cmyk no ink", fill(image.NewCMYK(image.Rect(0, 0, 1, 1)), color.CMYK{}), [3]uint8{255, 255, 255}},
		{"cmyk full black", fill(image.NewCMYK(image.Rect(0, 0, 1, 1)), color.CMYK{K: 255}), [3]uint8{0, 0, 0}},
		{"cmyk mix", fill(image.NewCMYK(image.Rect(0, 0, 1, 1)), color.CMYK{C: 128, M: 255, Y: 0, K: 128}), [3]uint8{63, 0, 127}},
		{"alpha (generic path)", fill(image.NewAlpha(image.Rect(0, 0, 1, 1)), color.Alpha{A: 255}), [3]uint8{255, 255, 255}},
		{"uniform (generic path)", image.NewUniform(color.NRGBA{5, 6, 7, 8}), [3]uint8{5, 6, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.img
			if _, ok := img.(*image.Uniform); ok {
				img = subImage(t, img, image.Rect(0, 0, 1, 1))
			}
			got := ToRGB(img)
			require.NotNil(t, got)
			require.Equal(t, 1, got.W)
			require.Equal(t, 1, got.H)
			require.Equal(t, tc.want[:], got.Pix)
		})
	}
}

type setter interface {
	image.Image
	Set(x, y int, c color.Color)
}

func fill(m setter, c color.Color) image.Image {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, c)
		}
	}
	return m
}

// boundedUniform gives an image.Uniform finite bounds.
type boundedUniform struct {
	*image.Uniform
	r image.Rectangle
}

func (u boundedUniform) Bounds() image.Rectangle { return u.r }

func subImage(t *testing.T, img image.Image, r image.Rectangle) image.Image {
	t.Helper()
	if u, ok := img.(*image.Uniform); ok {
		return boundedUniform{u, r}
	}
	s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	require.True(t, ok)
	return s.SubImage(r)
}

// A sub-image starts at its own origin, for every concrete type.
func TestToRGBSubImage(t *testing.T) {
	full := image.NewNRGBA(image.Rect(0, 0, 6, 5))
	for y := 0; y < 5; y++ {
		for x := 0; x < 6; x++ {
			full.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(10*x + y), 255})
		}
	}
	r := image.Rect(2, 1, 5, 4)
	for _, img := range []image.Image{full, toRGBA(full), toGray(full)} {
		got := ToRGB(subImage(t, img, r))
		require.Equal(t, 3, got.W)
		require.Equal(t, 3, got.H)
		want := ToRGB(img)
		for y := 0; y < 3; y++ {
			for x := 0; x < 3; x++ {
				i, j := 3*(y*3+x), 3*((y+1)*6+x+2)
				require.Equal(t, want.Pix[j:j+3], got.Pix[i:i+3], "%T at %d,%d", img, x, y)
			}
		}
	}
}

func toRGBA(src image.Image) *image.RGBA {
	m := image.NewRGBA(src.Bounds())
	fill(m, color.Black)
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, src.At(x, y))
		}
	}
	return m
}

func toGray(src image.Image) *image.Gray {
	m := image.NewGray(src.Bounds())
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, src.At(x, y))
		}
	}
	return m
}

// A PNG with an alpha channel decodes to straight NRGBA; its colour survives
// under alpha 0, as it does in PIL (no compositing, no premultiplication).
func TestToRGBPNGAlphaKeepsColour(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	src.SetNRGBA(0, 0, color.NRGBA{200, 150, 100, 0})
	src.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 77})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, src))
	img, err := Decode(&buf, "alpha.png")
	require.NoError(t, err)
	require.Equal(t, []uint8{200, 150, 100, 10, 20, 30}, ToRGB(img).Pix)
}

func TestToRGBRejectsEmpty(t *testing.T) {
	require.Nil(t, ToRGB(nil))
	require.Nil(t, ToRGB(image.NewRGBA(image.Rect(0, 0, 0, 5))))
	require.Nil(t, ToRGB(image.NewGray(image.Rect(3, 3, 3, 3))))
}
