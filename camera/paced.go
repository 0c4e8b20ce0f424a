package camera

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// PacedConfig configures a frame-rate cap.
type PacedConfig struct {
	// MaxFPS caps the frames per second Read gives; 0 leaves the rate alone and only
	// measures it.
	MaxFPS float64
	// Drop reads frames that come early and throws them away instead of waiting before the
	// read. Use it for live cameras, whose drivers queue frames: waiting would hand out
	// stale ones. Leave it off for files and synthetic scenes, where waiting saves work.
	Drop bool
}

// PacedStats are what a Paced source measured.
type PacedStats struct {
	Frames    uint64  // frames given out
	Dropped   uint64  // frames read and thrown away (Drop mode)
	FPS       float64 // rate of the frames given out, over the last frames
	SourceFPS float64 // rate the underlying source gave frames at, over the last frames
}

// Paced caps the frame rate of a source and measures it.
type Paced struct {
	src      Source
	interval time.Duration
	drop     bool

	mu      sync.Mutex
	next    time.Time // earliest time the next frame may be given
	frames  uint64
	dropped uint64
	out     fpsMeter
	in      fpsMeter
}

// NewPaced wraps src. It takes ownership: closing the Paced closes src.
func NewPaced(src Source, cfg PacedConfig) (*Paced, error) {
	if src == nil {
		return nil, fmt.Errorf("camera: paced: nil source")
	}
	if cfg.MaxFPS < 0 {
		return nil, fmt.Errorf("camera: paced %s: MaxFPS %v must not be negative", src.Name(), cfg.MaxFPS)
	}
	p := &Paced{src: src, drop: cfg.Drop}
	if cfg.MaxFPS > 0 {
		p.interval = time.Duration(float64(time.Second) / cfg.MaxFPS)
	}
	return p, nil
}

// Name is the wrapped source's name.
func (p *Paced) Name() string { return p.src.Name() }

// Close closes the wrapped source.
func (p *Paced) Close() error { return p.src.Close() }

// Read gives the next frame no sooner than 1/MaxFPS after the previous one.
func (p *Paced) Read(ctx context.Context) (Frame, error) {
	p.mu.Lock()
	next := p.next
	p.mu.Unlock()
	if !p.drop {
		if err := sleepUntil(ctx, next); err != nil {
			return Frame{}, err
		}
	}
	for {
		f, err := p.src.Read(ctx)
		if err != nil {
			return Frame{}, err
		}
		now := time.Now()
		p.mu.Lock()
		p.in.add(now)
		if p.drop && now.Before(p.next) {
			p.dropped++
			p.mu.Unlock()
			continue
		}
		// Keep a steady cadence, but never bank time: after a stall the next frame may come
		// one interval after this one, not a burst to catch up.
		p.next = p.next.Add(p.interval)
		if p.next.Before(now) {
			p.next = now.Add(p.interval)
		}
		if p.interval == 0 {
			p.next = time.Time{}
		}
		p.frames++
		p.out.add(now)
		p.mu.Unlock()
		return f, nil
	}
}

// Stats reports the measured rates and counts.
func (p *Paced) Stats() PacedStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PacedStats{Frames: p.frames, Dropped: p.dropped, FPS: p.out.rate(), SourceFPS: p.in.rate()}
}

// sleepUntil waits until t or the context's end.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// fpsMeter measures a rate over the last fpsWindow events, in fixed memory.
type fpsMeter struct {
	times [fpsWindow]time.Time
	n     int // events recorded, up to fpsWindow
	head  int // where the next event goes
}

const fpsWindow = 32

func (m *fpsMeter) add(t time.Time) {
	m.times[m.head] = t
	m.head = (m.head + 1) % fpsWindow
	if m.n < fpsWindow {
		m.n++
	}
}

// rate is events per second between the oldest and newest events kept; 0 with fewer than two.
func (m *fpsMeter) rate() float64 {
	if m.n < 2 {
		return 0
	}
	newest := m.times[(m.head-1+fpsWindow)%fpsWindow]
	oldest := m.times[(m.head-m.n+fpsWindow)%fpsWindow]
	span := newest.Sub(oldest).Seconds()
	if span <= 0 {
		return 0
	}
	return float64(m.n-1) / span
}
