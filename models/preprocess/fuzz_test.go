package preprocess

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// fuzzSeeds are small valid images of each format and colour model, so the
// fuzzer mutates real headers and chunk layouts.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	add := func(enc func(*bytes.Buffer) error) {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 9, 7))
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(i * 37)
	}
	gray := image.NewGray16(image.Rect(0, 0, 5, 3))
	pal := image.NewPaletted(image.Rect(0, 0, 6, 4), color.Palette{color.Black, color.White, color.NRGBA{200, 0, 0, 128}})
	pal.Pix[3] = 2
	add(func(b *bytes.Buffer) error { return png.Encode(b, nrgba) })
	add(func(b *bytes.Buffer) error { return png.Encode(b, gray) })
	add(func(b *bytes.Buffer) error { return png.Encode(b, pal) })
	add(func(b *bytes.Buffer) error { return jpeg.Encode(b, nrgba, nil) })
	add(func(b *bytes.Buffer) error { return jpeg.Encode(b, image.NewGray(image.Rect(0, 0, 17, 3)), nil) })
	add(func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) })
	return append(seeds, nil, []byte("GIF89a"), []byte("\x89PNG\r\n\x1a\n"), []byte{0xff, 0xd8, 0xff})
}

// FuzzDecode: arbitrary bytes through Decode and Apply never panic, and any
// image Decode accepts is preprocessed without error.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	p, err := NewProcessor(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if _, err := p.Apply(img, nil); err != nil {
			t.Fatalf("decoded %T %v but Apply failed: %v", img, img.Bounds(), err)
		}
	})
}
