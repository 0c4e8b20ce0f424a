package blip2

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/runtime"
)

// FrameKey names one camera frame: its sequence number and time. The zero key names no
// frame (an uploaded image), whose prefix is never kept.
type FrameKey struct {
	Seq  uint64
	Time time.Time
}

// maxPrefixes: the frame captioned last and the one asked about last, with room for a
// frame or two in between. A prefix is numQuery × lmEmbed floats (320 KB for OPT-2.7b).
const maxPrefixes = 4

// prefixes keeps the image path's result for the last few camera frames, so that an ask
// about a frame just captioned, or a second question about the same frame, runs only the
// language model.
type prefixes struct {
	mu      sync.Mutex
	entries []prefixEntry // oldest first
	reused  atomic.Uint64
}

type prefixEntry struct {
	key    FrameKey
	prefix *runtime.Tensor
}

// FramePrefix is ImagePrefix for a camera frame, computed once per frame: the prefixes of
// the last few frames are kept, so asking about a frame already captioned (or asked
// about) does not run the vision encoder and Q-Former again. Timings are zero when the
// prefix was kept. The prefix stays valid until FramePrefix has seen four newer frames:
// callers use it for one generation, one generation at a time (the camera loop and the
// HTTP API share one lock).
func (m *Model) FramePrefix(key FrameKey, img image.Image) (*runtime.Tensor, Timings, error) {
	p := &m.prefixes
	p.mu.Lock()
	defer p.mu.Unlock()
	if key != (FrameKey{}) {
		for _, e := range p.entries {
			if e.key.Seq == key.Seq && e.key.Time.Equal(key.Time) {
				p.reused.Add(1)
				return e.prefix, Timings{}, nil
			}
		}
	}
	prefix, t, err := m.ImagePrefix(img)
	if err != nil || key == (FrameKey{}) {
		return prefix, t, err
	}
	if len(p.entries) == maxPrefixes {
		runtime.Recycle(m.Backend, p.entries[0].prefix)
		p.entries = append(p.entries[:0], p.entries[1:]...)
	}
	p.entries = append(p.entries, prefixEntry{key: key, prefix: prefix})
	return prefix, t, nil
}

// PrefixesReused counts the FramePrefix calls that found their frame's prefix kept.
func (m *Model) PrefixesReused() uint64 { return m.prefixes.reused.Load() }

// dropPrefixes gives the kept prefixes back to the backend.
func (m *Model) dropPrefixes() {
	p := &m.prefixes
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		runtime.Recycle(m.Backend, e.prefix)
	}
	p.entries = nil
}
