package blip2

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgevlm/edge/runtime"
)

// FrameKey names one camera frame: the camera, its sequence number and time (frames of
// two cameras may share a Seq). The zero key names no frame (an uploaded image), whose
// prefix is never kept.
type FrameKey struct {
	Camera string
	Seq    uint64
	Time   time.Time
}

func (k FrameKey) same(o FrameKey) bool {
	return k.Camera == o.Camera && k.Seq == o.Seq && k.Time.Equal(o.Time)
}

// maxPrefixes: the frame captioned last and the one asked about last, with room for a
// frame or two in between. A prefix is numQuery × lmEmbed floats (320 KB for OPT-2.7b).
const maxPrefixes = 4

// maxUnclaimed bounds the prefixes kept for batch members that never came for them
// (their request was cancelled): beyond it the oldest go even unclaimed.
const maxUnclaimed = 16

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
	// unclaimed: computed in a batch (FillFramePrefixes) for a caller that has not
	// taken it yet; it keeps its place and gives that caller the batch's timings.
	unclaimed bool
	timings   Timings
}

// FramePrefix is ImagePrefix for a camera frame, computed once per frame: the prefixes of
// the last few frames are kept, so asking about a frame already captioned (or asked
// about) does not run the vision encoder and Q-Former again. Timings are zero when the
// prefix was kept, and the whole batch's when FillFramePrefixes computed it and this is
// its first use. The prefix stays valid until FramePrefix has seen four newer frames:
// callers use it for one generation, one generation at a time (the camera loop and the
// HTTP API share one lock).
func (m *Model) FramePrefix(key FrameKey, img image.Image) (*runtime.Tensor, Timings, error) {
	p := &m.prefixes
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.find(key); e != nil {
		if e.unclaimed {
			e.unclaimed = false
			return e.prefix, e.timings, nil
		}
		p.reused.Add(1)
		return e.prefix, Timings{}, nil
	}
	prefix, t, err := m.ImagePrefix(img)
	if err != nil || key == (FrameKey{}) {
		return prefix, t, err
	}
	p.keep(m.Backend, prefixEntry{key: key, prefix: prefix})
	return prefix, t, nil
}

// FillFramePrefixes runs the image path for the frames whose prefix is not kept, as one
// batch (EncodeBatch), and keeps the results for FramePrefix. ran[i] says frame i went
// through the batch (not when its prefix was kept already or it came twice); errs[i] is
// frame i's own error (an image that cannot be preprocessed fails alone). Frames with
// the zero key are left out: nothing would keep their prefix.
func (m *Model) FillFramePrefixes(keys []FrameKey, imgs []image.Image) (ran []bool, errs []error) {
	p := &m.prefixes
	p.mu.Lock()
	defer p.mu.Unlock()
	ran, errs = make([]bool, len(keys)), make([]error, len(keys))
	t0 := time.Now()
	var todo []int
	var pixels [][]float32
	for i, key := range keys {
		if key == (FrameKey{}) || p.find(key) != nil || queued(keys, key, todo) {
			continue
		}
		px, err := m.PixelValues(imgs[i])
		if err != nil {
			errs[i] = err
			continue
		}
		todo, pixels = append(todo, i), append(pixels, px)
	}
	if len(todo) == 0 {
		return ran, errs
	}
	t1 := time.Now()
	out, err := m.EncodeBatch(pixels)
	if err != nil {
		for _, i := range todo {
			errs[i] = fmt.Errorf("image path (batch of %d): %w", len(todo), err)
		}
		return ran, errs
	}
	t2 := time.Now()
	t := Timings{Preprocess: t1.Sub(t0), Image: t2.Sub(t1), Total: t2.Sub(t0)}
	for j, i := range todo {
		p.keep(m.Backend, prefixEntry{key: keys[i], prefix: out[j], unclaimed: true, timings: t})
		ran[i] = true
	}
	return ran, errs
}

// queued says whether key already is among the frames to run (keys[todo]).
func queued(keys []FrameKey, key FrameKey, todo []int) bool {
	for _, i := range todo {
		if keys[i].same(key) {
			return true
		}
	}
	return false
}

// find is the kept entry for key, or nil; p.mu is held.
func (p *prefixes) find(key FrameKey) *prefixEntry {
	if key == (FrameKey{}) {
		return nil
	}
	for i := range p.entries {
		if p.entries[i].key.same(key) {
			return &p.entries[i]
		}
	}
	return nil
}

// keep adds e, first making room: the oldest claimed entry goes (an unclaimed one is
// still awaited by its batch member), or the oldest of all past maxUnclaimed.
func (p *prefixes) keep(be runtime.Backend, e prefixEntry) {
	if len(p.entries) >= maxPrefixes {
		victim := -1
		for i, old := range p.entries {
			if !old.unclaimed {
				victim = i
				break
			}
		}
		if victim < 0 && len(p.entries) >= maxUnclaimed {
			victim = 0
		}
		if victim >= 0 {
			runtime.Recycle(be, p.entries[victim].prefix)
			p.entries = append(p.entries[:victim], p.entries[victim+1:]...)
		}
	}
	p.entries = append(p.entries, e)
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
