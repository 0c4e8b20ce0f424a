package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// byteProgress shows how a long job goes once it has run for a second (small models print
// nothing): on a terminal, one line redrawn a few times a second; elsewhere (a log file,
// systemd's journal) a line every few seconds, since a redrawn line there is a wall of
// carriage returns. Each says the bytes done, the rate and the time left.
type byteProgress struct {
	w      io.Writer
	label  string // "loading weights"
	tty    bool
	now    func() time.Time
	start  time.Time
	drawn  time.Time // zero until the first line
	done   int64
	total  int64
	redraw time.Duration
}

const (
	progressAfter = time.Second // a job shorter than this shows nothing
	ttyRedraw     = 200 * time.Millisecond
	logEvery      = 5 * time.Second
)

func newProgress(w io.Writer, label string) *byteProgress {
	p := &byteProgress{w: w, label: label, tty: isTerminal(w), now: time.Now}
	p.start = p.now()
	p.redraw = logEvery
	if p.tty {
		p.redraw = ttyRedraw
	}
	return p
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update records done of total bytes and draws a line when one is due.
func (p *byteProgress) update(done, total int64) {
	p.done, p.total = done, total
	now := p.now()
	if now.Sub(p.start) < progressAfter || !p.drawn.IsZero() && now.Sub(p.drawn) < p.redraw {
		return
	}
	p.drawn = now
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(now))
		return
	}
	fmt.Fprintf(p.w, "edge: %s\n", p.line(now))
}

// line is "loading weights: 3.21 of 14.98 GB (21.4%), 412 MB/s, 29 s left".
func (p *byteProgress) line(now time.Time) string {
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(p.done) / max(elapsed, 1e-9)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %.2f of %.2f GB (%.1f%%), %.0f MB/s", p.label, float64(p.done)/1e9, float64(p.total)/1e9,
		100*float64(p.done)/float64(max(p.total, 1)), rate/1e6)
	if p.done < p.total && rate > 0 {
		left := math.Ceil(float64(p.total-p.done) / rate) // whole seconds, never "0s left"
		fmt.Fprintf(&b, ", %s left", time.Duration(left)*time.Second)
	}
	return b.String()
}

// end closes the terminal's line, or logs how long the job took, where a line was
// shown.
func (p *byteProgress) end() {
	if p.drawn.IsZero() {
		return
	}
	now := p.now()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", p.line(now))
		return
	}
	fmt.Fprintf(p.w, "edge: %s: %.2f GB in %s (%.0f MB/s)\n", p.label, float64(p.done)/1e9, now.Sub(p.start).Round(100*time.Millisecond),
		float64(p.done)/max(now.Sub(p.start).Seconds(), 1e-9)/1e6)
}
