package mqtt

import "sync"

// outMsg is one message waiting to be published.
type outMsg struct {
	topic    string
	retained bool
	payload  []byte
	// caption is set for captions: they are encoded again at send time
	// when the queue dropped captions before them (Caption.Dropped).
	caption *Caption
	// reply marks answers and errors: someone waits for each, while a caption or a
	// status is superseded by the next, so a full queue drops those first.
	reply bool
}

// queue is the bounded buffer between Publish* and the sending goroutine.
// When full, the oldest caption or status is dropped and counted (or the new one, when
// only replies wait); a reply (an answer or an error) only when a reply arrives at a
// queue of nothing but replies. At most one message
// is "in flight": taken for sending and not yet finished.
//
// Every message pushed ends as exactly one of published or dropped, so
// enqueued == published + dropped + waiting + in flight at all times.
type queue struct {
	mu       sync.Mutex
	ring     []outMsg // capacity = queue size
	head, n  int
	inFlight bool
	closed   bool          // set by pushLast: nothing more is accepted
	changed  chan struct{} // closed and replaced on every change

	enqueued, published, dropped uint64
	// captionDrops counts dropped captions not yet reported in the Dropped
	// field of a published caption.
	captionDrops uint64
}

func newQueue(size int) *queue {
	return &queue{ring: make([]outMsg, size), changed: make(chan struct{})}
}

// push appends m, dropping the oldest message when full. It returns false,
// and counts nothing, once the queue is closed.
func (q *queue) push(m outMsg) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pushLocked(m)
}

// pushLast appends m and closes the queue to further pushes, so that m (the
// "offline" status) is the last message sent.
func (q *queue) pushLast(m outMsg) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	ok := q.pushLocked(m)
	q.closed = true
	return ok
}

func (q *queue) pushLocked(m outMsg) bool {
	if q.closed {
		return false
	}
	q.enqueued++
	if q.dropsNewcomer(m) {
		return true
	}
	q.makeRoom()
	q.ring[(q.head+q.n)%len(q.ring)] = m
	q.n++
	q.notify()
	return true
}

// pushFront puts a new m before everything waiting (a status that must go
// before the backlog), dropping the oldest message when full. It returns
// false once the queue is closed.
func (q *queue) pushFront(m outMsg) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.enqueued++
	if q.dropsNewcomer(m) {
		return true
	}
	q.makeRoom()
	q.unshift(m)
	q.notify()
	return true
}

// take removes the oldest message for sending. reported is how many dropped
// captions a caption must report now.
func (q *queue) take() (m outMsg, reported uint64, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 || q.inFlight {
		return outMsg{}, 0, false
	}
	m = q.ring[q.head]
	q.ring[q.head] = outMsg{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.inFlight = true
	if m.caption != nil {
		reported = q.captionDrops
	}
	return m, reported, true
}

// finish ends the message taken by take. A message that was not published
// goes back to the front, being the oldest; if the queue filled up in the
// meantime it is the one dropped.
func (q *queue) finish(m outMsg, reported uint64, published bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inFlight = false
	switch {
	case published:
		q.published++
		q.captionDrops -= reported
	case q.n == len(q.ring) && (!m.reply || q.oldestSuperseded() < 0):
		q.countDrop(m)
	default:
		q.makeRoom()
		q.unshift(m)
	}
	q.notify()
}

// abandon drops everything waiting (at Close) and returns how many.
func (q *queue) abandon() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.n
	for q.n > 0 {
		q.countDrop(q.ring[q.head])
		q.ring[q.head] = outMsg{}
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	q.notify()
	return n
}

// watch returns a channel closed at the next change, and how many messages
// are waiting or in flight now.
func (q *queue) watch() (<-chan struct{}, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pending := q.n
	if q.inFlight {
		pending++
	}
	return q.changed, pending
}

// counts returns the counters and the number waiting or in flight.
func (q *queue) counts() (enqueued, published, dropped uint64, pending int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pending = q.n
	if q.inFlight {
		pending++
	}
	return q.enqueued, q.published, q.dropped, pending
}

// dropsNewcomer drops (and counts) a caption or status arriving at a ring full of
// replies: the next caption or status supersedes it, while each reply is someone's only
// answer. It reports whether it did.
func (q *queue) dropsNewcomer(m outMsg) bool {
	if q.n < len(q.ring) || m.reply || q.oldestSuperseded() >= 0 {
		return false
	}
	q.countDrop(m)
	q.notify()
	return true
}

// makeRoom drops the oldest waiting message when the ring is full.
func (q *queue) makeRoom() {
	if q.n < len(q.ring) {
		return
	}
	i := q.oldestSuperseded()
	if i < 0 {
		i = 0 // only replies wait: the oldest goes
	}
	q.countDrop(q.ring[(q.head+i)%len(q.ring)])
	// Close the gap: the messages before it move up by one.
	for j := i; j > 0; j-- {
		q.ring[(q.head+j)%len(q.ring)] = q.ring[(q.head+j-1)%len(q.ring)]
	}
	q.ring[q.head] = outMsg{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
}

// oldestSuperseded is the position (from the head) of the oldest waiting message that is
// not a reply, or -1.
func (q *queue) oldestSuperseded() int {
	for i := 0; i < q.n; i++ {
		if !q.ring[(q.head+i)%len(q.ring)].reply {
			return i
		}
	}
	return -1
}

func (q *queue) unshift(m outMsg) {
	q.head = (q.head - 1 + len(q.ring)) % len(q.ring)
	q.ring[q.head] = m
	q.n++
}

func (q *queue) countDrop(m outMsg) {
	q.dropped++
	if m.caption != nil {
		q.captionDrops++
	}
}

func (q *queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}
