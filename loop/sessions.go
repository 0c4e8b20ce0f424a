package loop

import (
	"sync"
	"time"

	"github.com/edgevlm/edge/runtime"
)

// sessions keeps chat contexts by the asker's session id, bounded in number and age:
// the least recently used one goes when the table is full.
type sessions struct {
	mu   sync.Mutex
	max  int
	ttl  time.Duration
	byID map[string]*entry
}

type entry struct {
	chat runtime.Session
	used time.Time
}

func newSessions(max int, ttl time.Duration) *sessions {
	return &sessions{max: max, ttl: ttl, byID: map[string]*entry{}}
}

// get returns a copy of the session's turns to build a prompt from.
func (s *sessions) get(id string) *runtime.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	e, ok := s.byID[id]
	if !ok {
		return &runtime.Session{}
	}
	return &runtime.Session{Turns: append([]runtime.Turn(nil), e.chat.Turns...)}
}

// update changes a session (creating it, evicting the oldest when full).
func (s *sessions) update(id string, fn func(*runtime.Session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		if len(s.byID) >= s.max {
			var oldest string
			for k, v := range s.byID {
				if oldest == "" || v.used.Before(s.byID[oldest].used) {
					oldest = k
				}
			}
			delete(s.byID, oldest)
		}
		e = &entry{}
		s.byID[id] = e
	}
	fn(&e.chat)
	e.used = time.Now()
}

func (s *sessions) expire() {
	if s.ttl <= 0 {
		return
	}
	for k, v := range s.byID {
		if time.Since(v.used) > s.ttl {
			delete(s.byID, k)
		}
	}
}

func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
