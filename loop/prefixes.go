package loop

import (
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/camera"
	"github.com/edgevlm/edge/runtime"
)

// prefixes keeps the image path's result (the language model's prefix) for the last few
// frames described or asked about, so that an ask about a frame just captioned, or a
// second question about the same frame, does not run the vision encoder and Q-Former
// again. A frame is known by its sequence number and time (Seq keeps rising across
// camera reopenings). Only touched under the model lock.
type prefixes struct {
	be      runtime.Backend
	max     int
	entries []prefixEntry // oldest first
	reused  atomic.Uint64 // generations that found their prefix here (read by the status)
}

type prefixEntry struct {
	seq    uint64
	at     time.Time
	prefix *runtime.Tensor
}

// maxPrefixes: the frame captioned last and the one asked about last, with room for a
// frame or two in between. A prefix is numQuery × lmEmbed floats (320 KB for OPT-2.7b).
const maxPrefixes = 4

func (p *prefixes) get(f *camera.Frame) *runtime.Tensor {
	for _, e := range p.entries {
		if e.seq == f.Seq && e.at.Equal(f.Time) {
			p.reused.Add(1)
			return e.prefix
		}
	}
	return nil
}

// put keeps prefix for f, giving the oldest one back to the backend when full.
func (p *prefixes) put(f *camera.Frame, prefix *runtime.Tensor) {
	if len(p.entries) == p.max {
		runtime.Recycle(p.be, p.entries[0].prefix)
		p.entries = append(p.entries[:0], p.entries[1:]...)
	}
	p.entries = append(p.entries, prefixEntry{seq: f.Seq, at: f.Time, prefix: prefix})
}

// clear gives every prefix back to the backend.
func (p *prefixes) clear() {
	for _, e := range p.entries {
		runtime.Recycle(p.be, e.prefix)
	}
	p.entries = p.entries[:0]
}
