package camera

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const demoImages = "../testdata/demo/images"

func TestFolderReadsDemoImagesInOrder(t *testing.T) {
	ctx := context.Background()
	src, err := OpenFolder(demoImages, ImagesOptions{})
	require.NoError(t, err)
	defer src.Close()
	paths := src.Paths()
	require.Len(t, paths, 15)
	require.Equal(t, filepath.Join(demoImages, "scene00.png"), paths[0])
	require.Equal(t, filepath.Join(demoImages, "scene_448_1.png"), paths[14])

	for i, p := range paths {
		f, err := src.Read(ctx)
		require.NoError(t, err, p)
		require.Equal(t, uint64(i+1), f.Seq)
		require.False(t, f.Time.IsZero())
		want := 224
		if filepath.Base(p)[:9] == "scene_448" {
			want = 448
		}
		require.Equal(t, image.Rect(0, 0, want, want), f.Image.Bounds(), p)
		if i == 0 {
			// The decoded pixels are the file's: scene00 has a gray background (125±noise).
			px := f.Image.RGBAAt(2, 2)
			require.InDelta(t, 125, int(px.R), 30)
			require.Equal(t, uint8(255), px.A)
		}
	}
	_, err = src.Read(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, demoImages, src.Name())
}

func TestFolderLoops(t *testing.T) {
	src, err := OpenFolder(demoImages, ImagesOptions{Loop: true})
	require.NoError(t, err)
	defer src.Close()
	var first, sixteenth Frame
	for i := 1; i <= 16; i++ {
		f, err := src.Read(context.Background())
		require.NoError(t, err)
		if i == 1 {
			first = f
		}
		sixteenth = f
	}
	require.Equal(t, uint64(16), sixteenth.Seq)
	require.Equal(t, first.Image.Pix, sixteenth.Image.Pix, "frame 16 is scene00 again")
}

func TestImageFile(t *testing.T) {
	ctx := context.Background()
	src, err := OpenImage(filepath.Join(demoImages, "scene26.jpg"), ImagesOptions{})
	require.NoError(t, err)
	f, err := src.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, 224, f.Image.Bounds().Dx())
	_, err = src.Read(ctx)
	require.ErrorIs(t, err, io.EOF)

	looped, err := OpenImage(filepath.Join(demoImages, "scene26.jpg"), ImagesOptions{Loop: true})
	require.NoError(t, err)
	a, err := looped.Read(ctx)
	require.NoError(t, err)
	a.Image.Pix[0] ^= 0xff // frames are the caller's: changing one leaves the next alone
	b, err := looped.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, f.Image.Pix, b.Image.Pix)
	require.NoError(t, looped.Close())
	_, err = looped.Read(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestImageErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenImage(filepath.Join(dir, "nope.png"), ImagesOptions{})
	require.ErrorContains(t, err, "nope.png")
	require.ErrorIs(t, err, os.ErrNotExist)

	_, err = OpenFolder(filepath.Join(dir, "missing"), ImagesOptions{})
	require.ErrorContains(t, err, "missing")

	_, err = OpenFolder(dir, ImagesOptions{})
	require.ErrorContains(t, err, "no .png")

	// A broken file in a folder fails its own read only.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.png"), []byte("not a png"), 0o644))
	good := image.NewGray(image.Rect(0, 0, 8, 6))
	good.SetGray(1, 1, color.Gray{Y: 200})
	out, err := os.Create(filepath.Join(dir, "b.png"))
	require.NoError(t, err)
	require.NoError(t, png.Encode(out, good))
	require.NoError(t, out.Close())

	src, err := OpenFolder(dir, ImagesOptions{})
	require.NoError(t, err)
	_, err = src.Read(context.Background())
	require.ErrorContains(t, err, "a.png")
	f, err := src.Read(context.Background())
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 8, 6), f.Image.Bounds())
	require.Equal(t, color.RGBA{200, 200, 200, 255}, f.Image.RGBAAt(1, 1), "gray converted to RGBA")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = src.Read(ctx)
	require.ErrorIs(t, err, context.Canceled)
}
