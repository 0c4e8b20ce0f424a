package mqtt

import (
	"sync"
	"time"
)

// AskLimits bounds how fast asks are taken: a token bucket per asker and one for all
// askers together. An ask over either limit is answered on the error topic at once,
// so a flood costs a parse and a reply, never a generation. A zero rate leaves that
// limit off.
type AskLimits struct {
	// PerClientRate asks per second for one asker, with bursts of PerClientBurst. The
	// asker is the ask's "client" field, else its session, else "" (all anonymous
	// askers share one bucket): MQTT 3.1.1 does not tell who published.
	PerClientRate  float64 `yaml:"per_client_rate"`
	PerClientBurst int     `yaml:"per_client_burst"`
	// GlobalRate asks per second from everyone, with bursts of GlobalBurst.
	GlobalRate  float64 `yaml:"global_rate"`
	GlobalBurst int     `yaml:"global_burst"`
}

// maxTrackedClients caps the per-asker buckets kept; the idlest are forgotten first,
// so ids made up by a flood cannot grow memory without bound.
const maxTrackedClients = 1024

type bucket struct {
	tokens float64
	at     time.Time
}

// take refills the bucket at rate up to burst since its last use and takes one token.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if b.at.IsZero() {
		b.tokens = float64(burst)
	} else {
		b.tokens = min(float64(burst), b.tokens+now.Sub(b.at).Seconds()*rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// askLimiter applies AskLimits; it is safe for concurrent use.
type askLimiter struct {
	cfg     AskLimits
	mu      sync.Mutex
	global  bucket
	clients map[string]*bucket
}

func newAskLimiter(cfg AskLimits) *askLimiter {
	if cfg.PerClientRate > 0 && cfg.PerClientBurst < 1 {
		cfg.PerClientBurst = 1
	}
	if cfg.GlobalRate > 0 && cfg.GlobalBurst < 1 {
		cfg.GlobalBurst = 1
	}
	return &askLimiter{cfg: cfg, clients: map[string]*bucket{}}
}

// allow says whether an ask from client may go on, and if not, which limit it hit.
func (l *askLimiter) allow(client string, now time.Time) (ok bool, limit string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.PerClientRate > 0 {
		b := l.clients[client]
		if b == nil {
			if len(l.clients) >= maxTrackedClients {
				l.forgetIdlest()
			}
			b = &bucket{}
			l.clients[client] = b
		}
		if !b.take(now, l.cfg.PerClientRate, l.cfg.PerClientBurst) {
			return false, "per-client"
		}
	}
	if l.cfg.GlobalRate > 0 && !l.global.take(now, l.cfg.GlobalRate, l.cfg.GlobalBurst) {
		return false, "global"
	}
	return true, ""
}

func (l *askLimiter) forgetIdlest() {
	var idlest string
	var at time.Time
	for k, b := range l.clients {
		if at.IsZero() || b.at.Before(at) {
			idlest, at = k, b.at
		}
	}
	delete(l.clients, idlest)
}
