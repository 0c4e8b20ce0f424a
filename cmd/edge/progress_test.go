package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func progressWith(tty bool, c *fakeClock, w *strings.Builder) *byteProgress {
	p := newProgress(w, "loading weights")
	p.tty, p.now, p.start = tty, c.now, c.now()
	p.redraw = map[bool]time.Duration{true: ttyRedraw, false: logEvery}[tty]
	return p
}

// Not on a terminal (a log, the journal): nothing for the first second, then a whole
// line every 5 s with bytes, rate and time left, and a last line with the total.
func TestProgressLogsLines(t *testing.T) {
	var w strings.Builder
	c := &fakeClock{t: time.Unix(0, 0)}
	p := progressWith(false, c, &w)
	const total = 15e9
	for i := int64(1); i <= 150; i++ { // 100 MB every 100 ms: 1 GB/s, 15 s
		c.add(100 * time.Millisecond)
		p.update(i*1e8, total)
	}
	p.end()
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	require.Equal(t, []string{
		"edge: loading weights: 1.00 of 15.00 GB (6.7%), 1000 MB/s, 14s left",
		"edge: loading weights: 6.00 of 15.00 GB (40.0%), 1000 MB/s, 9s left",
		"edge: loading weights: 11.00 of 15.00 GB (73.3%), 1000 MB/s, 4s left",
		"edge: loading weights: 15.00 GB in 15s (1000 MB/s)",
	}, lines)
	require.NotContains(t, w.String(), "\r")
}

// On a terminal: one line redrawn in place, ended by a newline.
func TestProgressRedrawsOnATerminal(t *testing.T) {
	var w strings.Builder
	c := &fakeClock{t: time.Unix(0, 0)}
	p := progressWith(true, c, &w)
	for i := int64(1); i <= 20; i++ {
		c.add(100 * time.Millisecond)
		p.update(i*1e8, 2e9)
	}
	p.end()
	out := w.String()
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.Equal(t, 7, strings.Count(out, "\r"), "at 1.0, 1.2, … 2.0 s, and the end: %q", out)
	require.Contains(t, out, "loading weights: 1.60 of 2.00 GB (80.0%), 1000 MB/s, 1s left")
	require.True(t, strings.HasSuffix(out, "loading weights: 2.00 of 2.00 GB (100.0%), 1000 MB/s\x1b[K\n"), "%q", out)
}

// A load under a second shows nothing.
func TestProgressQuietForShortLoads(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var w strings.Builder
		c := &fakeClock{t: time.Unix(0, 0)}
		p := progressWith(tty, c, &w)
		for i := int64(1); i <= 9; i++ {
			c.add(100 * time.Millisecond)
			p.update(i, 9)
		}
		p.end()
		require.Empty(t, w.String())
	}
}
