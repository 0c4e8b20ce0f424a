// Package preprocess turns images into BLIP-2 pixel_values exactly as Hugging
// Face's PIL-backed BlipImageProcessor does: convert to RGB, resize to
// Height×Width with PIL's fixed-point bicubic filter, rescale by 1/255 and
// normalise per channel, giving float32 CHW.
//
// Its room in docs/architecture.md: formats: imports nothing of the project.
package preprocess

import (
	"fmt"
	"image"
)

// Processor applies one Config. It owns the resize coefficients, the
// scratch images and a per-channel lookup table, so a camera loop that
// reuses dst allocates nothing per frame. It is not safe for concurrent use;
// give each goroutine its own.
type Processor struct {
	cfg     Config
	lut     [3][256]float32 // uint8 value → normalised float, per channel
	rs      Resizer
	rgb     RGB // converted input (Apply)
	resized RGB
}

// NewProcessor validates cfg and precomputes its value table.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg}
	for c := range 3 {
		for v := range 256 {
			p.lut[c][v] = normalizeValue(v, c, &cfg)
		}
	}
	return p, nil
}

// normalizeValue follows transformers' numpy path: rescale in float64 and
// cast to float32, then (x - mean) / std in float32.
func normalizeValue(v, c int, cfg *Config) float32 {
	x := float32(v)
	if cfg.DoRescale {
		x = float32(float64(v) * cfg.RescaleFactor)
	}
	if cfg.DoNormalize {
		x = float32(x-cfg.Mean[c]) / cfg.Std[c]
	}
	return x
}

// Len is the number of values one image yields: 3·Height·Width.
func (p *Processor) Len() int { return 3 * p.cfg.Height * p.cfg.Width }

// Apply converts img to RGB and preprocesses it into dst, which must hold
// Len() values; a nil dst is allocated. It returns the filled slice.
func (p *Processor) Apply(img image.Image, dst []float32) ([]float32, error) {
	if err := toRGB(img, &p.rgb); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = make([]float32, p.Len())
	}
	if err := p.ApplyRGB(&p.rgb, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// ApplyRGB preprocesses src into dst ([3, Height, Width], len Len()).
func (p *Processor) ApplyRGB(src *RGB, dst []float32) error {
	if err := src.check(); err != nil {
		return err
	}
	if len(dst) != p.Len() {
		return fmt.Errorf("preprocess: output has %d values, want 3x%dx%d = %d",
			len(dst), p.cfg.Height, p.cfg.Width, p.Len())
	}
	img := src
	if src.W != p.cfg.Width || src.H != p.cfg.Height {
		if !p.cfg.DoResize {
			return fmt.Errorf("preprocess: image is %dx%d, want %dx%d with do_resize off",
				src.W, src.H, p.cfg.Width, p.cfg.Height)
		}
		if err := p.rs.Resize(src, p.cfg.Width, p.cfg.Height, &p.resized); err != nil {
			return err
		}
		img = &p.resized
	}
	p.toCHW(img.Pix, dst)
	return nil
}

// toCHW maps interleaved RGB bytes through the table into planar floats.
func (p *Processor) toCHW(pix []uint8, dst []float32) {
	n := len(pix) / 3
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:3*n]
	lr, lg, lb := &p.lut[0], &p.lut[1], &p.lut[2]
	for i := range r {
		q := pix[3*i : 3*i+3 : 3*i+3]
		r[i], g[i], b[i] = lr[q[0]], lg[q[1]], lb[q[2]]
	}
}

// Apply preprocesses one image with cfg into a new [3, Height, Width] slice.
// For a stream of frames, keep a Processor instead.
func Apply(img image.Image, cfg Config) ([]float32, error) {
	p, err := NewProcessor(cfg)
	if err != nil {
		return nil, err
	}
	return p.Apply(img, nil)
}

// ApplyRGB preprocesses src with cfg into dst (len 3·Height·Width). Its
// coefficient tables and scratch image are built on each call; a camera loop
// should keep a Processor, whose ApplyRGB allocates nothing per frame.
func ApplyRGB(src *RGB, cfg Config, dst []float32) error {
	p, err := NewProcessor(cfg)
	if err != nil {
		return err
	}
	return p.ApplyRGB(src, dst)
}
