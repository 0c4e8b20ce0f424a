package camera

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/edgevlm/edge/camera/scene"
)

// SyntheticConfig configures a source of synthetic scenes (see camera/scene).
type SyntheticConfig struct {
	Seed int64 // the same seed gives the same scenes and the same noise
	// Size is the side of the frames: 224 (default) or a multiple.
	Size int
	// ScenePeriod is how many consecutive frames show one scene (with fresh noise each);
	// 0 or 1 draws a new scene for every frame.
	ScenePeriod int
	// Frames is how many frames the source gives before io.EOF; 0 is endless.
	Frames uint64
	// NoNoise leaves out the per-frame Gaussian noise.
	NoNoise bool
}

// Synthetic is a source of rendered scenes the shapes model knows, with the true layout
// of every frame available through LayoutOf. It is not paced: wrap it in Paced to make it
// behave like a camera with a frame rate.
type Synthetic struct {
	cfg SyntheticConfig

	mu     sync.Mutex
	seq    uint64
	closed bool
}

// NewSynthetic makes a synthetic scene source.
func NewSynthetic(cfg SyntheticConfig) (*Synthetic, error) {
	if cfg.Size == 0 {
		cfg.Size = scene.BaseSize
	}
	if cfg.Size < 0 || cfg.Size%scene.BaseSize != 0 {
		return nil, fmt.Errorf("camera: synthetic size %d: want a multiple of %d", cfg.Size, scene.BaseSize)
	}
	if cfg.ScenePeriod < 0 {
		return nil, fmt.Errorf("camera: synthetic scene period %d: want 0 or more", cfg.ScenePeriod)
	}
	if cfg.ScenePeriod == 0 {
		cfg.ScenePeriod = 1
	}
	return &Synthetic{cfg: cfg}, nil
}

// Name says which scenes it renders.
func (s *Synthetic) Name() string {
	return fmt.Sprintf("synthetic:seed=%d,period=%d", s.cfg.Seed, s.cfg.ScenePeriod)
}

// Read renders the next frame.
func (s *Synthetic) Read(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Frame{}, ErrClosed
	}
	if s.cfg.Frames > 0 && s.seq >= s.cfg.Frames {
		s.mu.Unlock()
		return Frame{}, io.EOF
	}
	s.seq++
	seq := s.seq
	s.mu.Unlock()

	sigma := scene.NoiseSigma
	if s.cfg.NoNoise {
		sigma = 0
	}
	img := scene.RenderNoise(s.layout(seq), s.cfg.Size, int64(mix(uint64(s.cfg.Seed), seq)), sigma)
	return Frame{Image: img, Time: time.Now(), Seq: seq}, nil
}

// SceneOf is the index (from 0) of the scene frame seq shows.
func (s *Synthetic) SceneOf(seq uint64) uint64 {
	return (seq - 1) / uint64(s.cfg.ScenePeriod)
}

// LayoutOf is the true layout of frame seq, for frames the source has given.
func (s *Synthetic) LayoutOf(seq uint64) (scene.Layout, bool) {
	s.mu.Lock()
	given := s.seq
	s.mu.Unlock()
	if seq == 0 || seq > given {
		return scene.Layout{}, false
	}
	return s.layout(seq), true
}

// layout derives a scene from the seed and the scene index alone, so no history is kept.
func (s *Synthetic) layout(seq uint64) scene.Layout {
	return scene.Random(rand.New(rand.NewPCG(uint64(s.cfg.Seed), s.SceneOf(seq))))
}

// Close ends the source; later Reads give ErrClosed.
func (s *Synthetic) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// mix spreads (seed, n) into a well-mixed 64-bit value (splitmix64's finaliser), so
// neighbouring frames get unrelated noise.
func mix(seed, n uint64) uint64 {
	z := seed ^ (n * 0x9e3779b97f4a7c15)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
