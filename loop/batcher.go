package loop

import (
	"context"
	"image"
	"sync"
	"sync/atomic"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/runtime"
)

// imageBatcher runs the image paths of frames that wait for the model together. Each
// generation asks it for the model and its frame's prefix; the requests that pile up
// while another generation holds the model are run as one batch (up to max) by the
// first of them to get it, and kept in the model's frame-prefix cache for the others.
// Nothing waits for a batch to fill: a request made while the model is free runs at
// once, alone.
type imageBatcher struct {
	model *blip2.Model
	lock  sync.Locker // the model's: every camera and the HTTP API take it
	max   int

	mu      sync.Mutex
	pending []*prefixRequest // oldest first
}

// prefixRequest is one generation's wish for its frame's prefix. ran and err are set
// by the holder of the model lock that ran its batch, and read by its owner only once
// the owner holds the lock in turn.
type prefixRequest struct {
	key   blip2.FrameKey
	img   image.Image
	stats *imageStats
	ran   bool
	err   error
}

// imageStats counts one camera's image paths for its status.
type imageStats struct {
	runs, batched, largest atomic.Uint64
}

func (s *imageStats) count(batch int) {
	s.runs.Add(1)
	if batch > 1 {
		s.batched.Add(1)
	}
	for {
		old := s.largest.Load()
		if uint64(batch) <= old || s.largest.CompareAndSwap(old, uint64(batch)) {
			return
		}
	}
}

func (s *imageStats) addTo(stats map[string]any) {
	stats["image_paths_run"], stats["image_paths_batched"] = s.runs.Load(), s.batched.Load()
	stats["image_batch_largest"] = s.largest.Load()
}

func newImageBatcher(m *blip2.Model, lock sync.Locker, max int) *imageBatcher {
	if max < 1 {
		max = DefaultBatchMax
	}
	return &imageBatcher{model: m, lock: lock, max: max}
}

// acquire takes the model for one generation about the frame (key, img) and returns
// the frame's prefix, valid until unlock, which the caller calls when the generation
// is done. It gives up with ctx's error while it waits for the model.
func (b *imageBatcher) acquire(ctx context.Context, key blip2.FrameKey, img image.Image, stats *imageStats) (prefix *runtime.Tensor, t blip2.Timings, unlock func(), err error) {
	r := &prefixRequest{key: key, img: img, stats: stats}
	if key != (blip2.FrameKey{}) {
		b.enqueue(r)
	}
	if err := lockContext(ctx, b.lock); err != nil {
		b.withdraw(r)
		return nil, t, nil, err
	}
	if err := ctx.Err(); err != nil {
		b.withdraw(r)
		b.lock.Unlock()
		return nil, t, nil, err
	}
	b.runPending(r)
	if r.err != nil {
		b.lock.Unlock()
		return nil, t, nil, r.err
	}
	prefix, t, err = b.model.FramePrefix(key, img)
	if err != nil {
		b.lock.Unlock()
		return nil, t, nil, err
	}
	if !r.ran && t.Total > 0 { // no batch ran it: FramePrefix did, alone
		stats.count(1)
	}
	return prefix, t, b.lock.Unlock, nil
}

func (b *imageBatcher) enqueue(r *prefixRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, r)
}

// withdraw takes back a request whose owner gave up, so that no batch runs it.
func (b *imageBatcher) withdraw(r *prefixRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, p := range b.pending {
		if p == r {
			b.pending = append(b.pending[:i], b.pending[i+1:]...)
			return
		}
	}
}

// runPending runs, as one batch, own's image path and those of the oldest requests
// waiting beside it, up to max. The model lock is held. Nothing runs when another
// holder's batch took own already.
func (b *imageBatcher) runPending(own *prefixRequest) {
	batch := b.take(own)
	if len(batch) == 0 {
		return
	}
	keys, imgs := make([]blip2.FrameKey, len(batch)), make([]image.Image, len(batch))
	for i, r := range batch {
		keys[i], imgs[i] = r.key, r.img
	}
	ran, errs := b.model.FillFramePrefixes(keys, imgs)
	size := 0
	for _, ok := range ran {
		if ok {
			size++
		}
	}
	for i, r := range batch {
		r.ran, r.err = ran[i], errs[i]
		if ran[i] {
			r.stats.count(size)
		}
	}
}

// take removes own (if still pending) and the oldest others, up to max, from pending.
func (b *imageBatcher) take(own *prefixRequest) []*prefixRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	var batch, rest []*prefixRequest
	for _, r := range b.pending {
		if r == own {
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	for _, r := range b.pending {
		switch {
		case r == own:
		case len(batch) < b.max:
			batch = append(batch, r)
		default:
			rest = append(rest, r)
		}
	}
	b.pending = rest
	return batch
}

// lockContext takes l, or gives up when ctx ends first; a lock that comes after that is
// handed straight back.
func lockContext(ctx context.Context, l sync.Locker) error {
	got := make(chan struct{})
	go func() {
		l.Lock()
		close(got)
	}()
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		go func() {
			<-got
			l.Unlock()
		}()
		return ctx.Err()
	}
}
