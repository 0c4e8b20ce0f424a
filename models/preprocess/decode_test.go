package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// pngHeader returns a PNG signature and IHDR claiming w×h 8-bit RGB, with a valid CRC.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	body := make([]byte, 17)
	copy(body, "IHDR")
	binary.BigEndian.PutUint32(body[4:], w)
	binary.BigEndian.PutUint32(body[8:], h)
	body[12], body[13] = 8, 2 // bit depth, colour type RGB
	binary.Write(&buf, binary.BigEndian, uint32(13))
	buf.Write(body)
	binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(body))
	return buf.Bytes()
}

func TestDecodeBadInputNamesTheFile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(goldenRoot, "tiny-opt/images/scene_rgba_200.png"))
	require.NoError(t, err)
	// A GIF whose logical screen and only frame are 0×0.
	emptyGIF := []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00" +
		",\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02\x44\x01\x00;")
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty.png", nil, "empty"},
		{"truncated.png", good[:len(good)/2], "decode png image"},
		{"header-only.png", good[:40], "decode png image"},
		{"garbage.jpg", []byte("this is not an image at all, just words"), "unknown format"},
		{"zero-width.png", pngHeader(0, 10), "dimension"},
		{"huge.png", pngHeader(100000, 100000), "exceeds"},
		{"empty.gif", emptyGIF, "zero-size"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			require.NoError(t, os.WriteFile(path, tc.data, 0o644))
			img, err := DecodeFile(path)
			require.Nil(t, img)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, tc.msg)

			_, err = Decode(bytes.NewReader(tc.data), "stream-"+tc.name)
			require.ErrorContains(t, err, "stream-"+tc.name)
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "no-such.png")
		_, err := DecodeFile(path)
		require.ErrorIs(t, err, os.ErrNotExist)
		require.ErrorContains(t, err, path)
	})
	t.Run("directory", func(t *testing.T) {
		_, err := DecodeFile(dir)
		require.ErrorContains(t, err, dir)
	})
}

func TestDecodeFormats(t *testing.T) {
	for _, name := range []string{
		"tiny-opt/images/scene0_224.png", "tiny-opt/images/scene_gray_300.png",
		"tiny-opt/images/scene_rgba_200.png", "tiny-opt/images/scene_320x240.jpg",
	} {
		img, err := DecodeFile(filepath.Join(goldenRoot, name))
		require.NoError(t, err, name)
		require.False(t, img.Bounds().Empty())
	}
	// GIF: the first frame, as palette colours.
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	a := image.NewPaletted(image.Rect(0, 0, 2, 1), pal)
	a.SetColorIndex(1, 0, 1)
	b := image.NewPaletted(image.Rect(0, 0, 2, 1), pal)
	var buf bytes.Buffer
	require.NoError(t, gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{a, b}, Delay: []int{0, 0}}))
	img, err := Decode(&buf, "two-frames.gif")
	require.NoError(t, err)
	require.Equal(t, []uint8{255, 0, 0, 0, 0, 255}, ToRGB(img).Pix)
}

// Decoded PNGs come back as the types ToRGB has fast paths for.
func TestDecodePNGTypes(t *testing.T) {
	for _, src := range []image.Image{
		image.NewGray16(image.Rect(0, 0, 3, 2)),
		image.NewNRGBA64(image.Rect(0, 0, 3, 2)),
		image.NewRGBA64(image.Rect(0, 0, 3, 2)),
		image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.NRGBA{1, 2, 3, 4}}),
	} {
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, src))
		img, err := Decode(&buf, "x.png")
		require.NoError(t, err)
		require.NotNil(t, ToRGB(img), "%T", img)
	}
}
