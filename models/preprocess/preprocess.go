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
	"sync"
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

	// The frame in flight: the image toCHW reads and the output.
	img    *RGB
	out    []float32
	resize bool // img is rs's output, its rows made by the vertical pass
	last   func(part, parts int)
}

// NewProcessor validates cfg and precomputes its value table.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg}
	p.last = p.lastStep
	p.SetThreads(defaultThreads())
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

// SetThreads sets how many goroutines (1..8) one frame is spread over; the
// default is GOMAXPROCS, at most 4. The results do not depend on it.
func (p *Processor) SetThreads(n int) { p.rs.SetThreads(n) }

// Len is the number of values one image yields: 3·Height·Width.
func (p *Processor) Len() int { return 3 * p.cfg.Height * p.cfg.Width }

// Apply converts img to RGB and preprocesses it into dst, which must hold
// Len() values; a nil dst is allocated. It returns the filled slice.
func (p *Processor) Apply(img image.Image, dst []float32) ([]float32, error) {
	if dst != nil && len(dst) != p.Len() {
		return nil, p.lenError(len(dst))
	}
	if x4, off, stride, premul, ok := rgbxSource(img); ok && img.Bounds().Dx() != p.cfg.Width && p.cfg.DoResize {
		// RGBA/NRGBA straight into the horizontal pass, row by row, without
		// a whole RGB copy of the frame.
		if dst == nil {
			dst = make([]float32, p.Len())
		}
		b := img.Bounds()
		rs := &p.rs
		rs.x4, rs.x4off, rs.x4str, rs.x4premul = x4, off, stride, premul
		if err := rs.begin(nil, b.Dx(), b.Dy(), p.cfg.Width, p.cfg.Height, &p.resized); err != nil {
			return nil, err
		}
		p.run(&p.resized, true, dst)
		rs.x4 = nil
		return dst, nil
	}
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

func (p *Processor) lenError(n int) error {
	return fmt.Errorf("preprocess: output has %d values, want 3x%dx%d = %d",
		n, p.cfg.Height, p.cfg.Width, p.Len())
}

// ApplyRGB preprocesses src into dst ([3, Height, Width], len Len()).
func (p *Processor) ApplyRGB(src *RGB, dst []float32) error {
	if err := src.check(); err != nil {
		return err
	}
	if len(dst) != p.Len() {
		return p.lenError(len(dst))
	}
	if src.W == p.cfg.Width && src.H == p.cfg.Height {
		p.run(src, false, dst)
		return nil
	}
	if !p.cfg.DoResize {
		return fmt.Errorf("preprocess: image is %dx%d, want %dx%d with do_resize off",
			src.W, src.H, p.cfg.Width, p.cfg.Height)
	}
	if err := p.rs.begin(src.Pix, src.W, src.H, p.cfg.Width, p.cfg.Height, &p.resized); err != nil {
		return err
	}
	if !p.rs.needH && !p.rs.needV {
		p.run(src, false, dst) // cannot happen: the sizes differ
		return nil
	}
	p.run(&p.resized, true, dst)
	return nil
}

// run finishes a frame on the team: the horizontal pass if the planned
// resize has one, then per band of output rows the vertical pass (if any)
// and the conversion to normalised CHW floats.
func (p *Processor) run(img *RGB, resize bool, dst []float32) {
	p.img, p.resize, p.out = img, resize, dst
	if resize && p.rs.needH {
		p.rs.team.run(p.rs.hStep)
	}
	p.rs.team.run(p.last)
	p.img, p.out = nil, nil
}

// lastStep is one part of the final step over output rows.
func (p *Processor) lastStep(part, parts int) {
	a, b := span(0, p.img.H, part, parts)
	if p.resize && p.rs.needV {
		p.rs.verticalRows(a, b)
	}
	p.toCHW(p.img.Pix, p.out, p.img.W*a, p.img.W*b)
}

// toCHW maps pixels i0..i1-1 of interleaved RGB bytes through the table into
// planar floats.
func (p *Processor) toCHW(pix []uint8, dst []float32, i0, i1 int) {
	n := len(pix) / 3
	r, g, b := dst[i0:i1], dst[n+i0:n+i1], dst[2*n+i0:2*n+i1]
	pix = pix[3*i0 : 3*i1]
	lr, lg, lb := &p.lut[0], &p.lut[1], &p.lut[2]
	for i := range r {
		q := pix[3*i : 3*i+3 : 3*i+3]
		r[i], g[i], b[i] = lr[q[0]], lg[q[1]], lb[q[2]]
	}
}

// Apply preprocesses one image with cfg into a new [3, Height, Width] slice.
// It borrows a Processor kept for cfg (safe for concurrent use), so calling
// it per frame reuses the coefficients and scratch images.
func Apply(img image.Image, cfg Config) ([]float32, error) {
	p, err := borrow(cfg)
	if err != nil {
		return nil, err
	}
	defer giveBack(p)
	return p.Apply(img, nil)
}

// ApplyRGB preprocesses src with cfg into dst (len 3·Height·Width), with a
// borrowed Processor as Apply does.
func ApplyRGB(src *RGB, cfg Config, dst []float32) error {
	p, err := borrow(cfg)
	if err != nil {
		return err
	}
	defer giveBack(p)
	return p.ApplyRGB(src, dst)
}

// processors keeps idle Processors per Config for Apply and ApplyRGB.
var processors sync.Map // Config → *sync.Pool of *Processor

func borrow(cfg Config) (*Processor, error) {
	if pool, ok := processors.Load(cfg); ok {
		if p, ok := pool.(*sync.Pool).Get().(*Processor); ok {
			return p, nil
		}
	}
	return NewProcessor(cfg)
}

func giveBack(p *Processor) {
	if key := p.cfg; key != key { // a NaN in an unused field: no key would find it again
		return
	}
	pool, _ := processors.LoadOrStore(p.cfg, &sync.Pool{})
	pool.(*sync.Pool).Put(p)
}
