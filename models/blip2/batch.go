package blip2

import (
	"fmt"
	"image"
	"time"

	"github.com/edgevlm/edge/runtime"
)

// EncodeBatch runs the image path on several images at once (pixel values [3, size,
// size] each) and returns each image's prefix [numQuery, lmEmbed]: the vision encoder,
// Q-Former and projection each see all the images' rows in one product per layer, so
// the weights are read once per batch rather than once per image. An ImageEncoder that
// stands in for the image path runs image by image.
func (m *Model) EncodeBatch(pixels [][]float32) ([]*runtime.Tensor, error) {
	if len(pixels) == 0 {
		return nil, fmt.Errorf("vision: no image")
	}
	prefixes := make([]*runtime.Tensor, len(pixels))
	if m.ImageEncoder != nil || len(pixels) == 1 {
		for i, px := range pixels {
			f, err := m.EncodePixels(px)
			if err != nil {
				runtime.Recycle(m.Backend, prefixes[:i]...)
				return nil, fmt.Errorf("image %d: %w", i, err)
			}
			prefixes[i] = f.Prefix
		}
		return prefixes, nil
	}
	c, size := m.Config.Vision.NumChannels, m.Config.Vision.ImageSize
	pxs := make([]*runtime.Tensor, len(pixels))
	for i, px := range pixels {
		if len(px) != c*size*size {
			runtime.Recycle(m.Backend, pxs[:i]...)
			return nil, fmt.Errorf("vision: image %d has %d pixel values, want %d×%d×%d", i, len(px), c, size, size)
		}
		pxs[i] = m.Backend.FromHost(px, c, size, size)
	}
	m.imageRuns.Add(uint64(len(pixels)))
	v, err := m.Vision.ForwardBatch(m.Backend, pxs...) // [images·(patches+1), visionHidden]
	runtime.Recycle(m.Backend, pxs...)
	if err != nil {
		return nil, err
	}
	q := m.QFormer.ForwardBatch(m.Backend, v, len(pixels)) // [images·numQuery, qformerHidden]
	all := m.Backend.Linear(q, m.Projection)               // [images·numQuery, lmEmbed]
	runtime.Recycle(m.Backend, v, q)
	n := m.Config.NumQueryTokens
	for i := range prefixes {
		prefixes[i] = runtime.Clone(m.Backend, all.RowsView(i*n, (i+1)*n, nil))
	}
	runtime.Recycle(m.Backend, all)
	return prefixes, nil
}

// ImagePrefixes is ImagePrefix for several images at once (EncodeBatch); the timings
// are the whole batch's.
func (m *Model) ImagePrefixes(imgs []image.Image) ([]*runtime.Tensor, Timings, error) {
	t0 := time.Now()
	pixels := make([][]float32, len(imgs))
	for i, img := range imgs {
		px, err := m.PixelValues(img)
		if err != nil {
			return nil, Timings{}, fmt.Errorf("image %d: %w", i, err)
		}
		pixels[i] = px
	}
	t1 := time.Now()
	prefixes, err := m.EncodeBatch(pixels)
	if err != nil {
		return nil, Timings{}, err
	}
	t2 := time.Now()
	return prefixes, Timings{Preprocess: t1.Sub(t0), Image: t2.Sub(t1), Total: t2.Sub(t0)}, nil
}
