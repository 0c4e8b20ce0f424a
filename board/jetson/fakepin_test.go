package jetson

import (
	"errors"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// change is one scripted level change at a virtual time.
type change struct {
	at    time.Duration
	level gpio.Level
}

// bounce scripts a contact bounce that starts at start and settles at final:
// len(gaps)+1 alternating changes, gaps[i] apart, the last one to final.
func bounce(start time.Duration, final gpio.Level, gaps ...time.Duration) []change {
	n := len(gaps) + 1
	out := make([]change, 0, n)
	at := start
	for i := range n {
		// Counting back from the last change, which is final.
		level := final
		if (n-1-i)%2 == 1 {
			level = !final
		}
		out = append(out, change{at: at, level: level})
		if i < len(gaps) {
			at += gaps[i]
		}
	}
	return out
}

// fakePin implements periph's gpio.PinIO on a virtual clock: WaitForEdge
// advances the clock to the next scripted change (an edge) or by the whole
// timeout, so a test of seconds of button presses runs in microseconds and
// never depends on the scheduler. Out calls are recorded and, when outCh is
// set, also sent there.
type fakePin struct {
	name string

	mu      sync.Mutex
	now     time.Duration
	level   gpio.Level
	script  []change
	next    int
	idle    func() // called once the clock passes the last change by idleAfter
	edge    gpio.Edge
	pull    gpio.Pull
	inCalls int
	inErr   error
	outs    []gpio.Level
	outCh   chan gpio.Level
	outErr  error
}

const idleAfter = time.Second

func (p *fakePin) String() string                        { return p.name }
func (p *fakePin) Name() string                          { return p.name }
func (p *fakePin) Number() int                           { return 0 }
func (p *fakePin) Function() string                      { return string(p.Func()) }
func (p *fakePin) Func() pin.Func                        { return gpio.IN }
func (p *fakePin) SupportedFuncs() []pin.Func            { return []pin.Func{gpio.IN, gpio.OUT} }
func (p *fakePin) SetFunc(pin.Func) error                { return errors.New("fake pin: SetFunc unsupported") }
func (p *fakePin) DefaultPull() gpio.Pull                { return gpio.PullNoChange }
func (p *fakePin) PWM(gpio.Duty, physic.Frequency) error { return errors.New("fake pin: no PWM") }
func (p *fakePin) Halt() error                           { return nil }

func (p *fakePin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inCalls++
	if p.inErr != nil {
		return p.inErr
	}
	p.pull, p.edge = pull, edge
	return nil
}

func (p *fakePin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

func (p *fakePin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// Now is the virtual time.
func (p *fakePin) Now() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

func (p *fakePin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	if p.edge == gpio.NoEdge {
		p.mu.Unlock()
		return false // as periph: no edge detection was asked for
	}
	for p.next < len(p.script) {
		c := p.script[p.next]
		if timeout >= 0 && c.at > p.now+timeout {
			break
		}
		p.now = max(p.now, c.at)
		p.next++
		if c.level != p.level && p.wants(c.level) {
			p.level = c.level
			p.mu.Unlock()
			return true
		}
		p.level = c.level
	}
	if timeout >= 0 {
		p.now += timeout
	}
	var idle func()
	if p.next == len(p.script) && p.idle != nil && (len(p.script) == 0 || p.now >= p.script[len(p.script)-1].at+idleAfter) {
		idle, p.idle = p.idle, nil
	}
	p.mu.Unlock()
	if idle != nil {
		idle()
	}
	return false
}

// wants tells whether a change to level is an edge In asked for.
func (p *fakePin) wants(level gpio.Level) bool {
	switch p.edge {
	case gpio.BothEdges:
		return true
	case gpio.RisingEdge:
		return level == gpio.High
	case gpio.FallingEdge:
		return level == gpio.Low
	}
	return false
}

func (p *fakePin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outErr != nil {
		return p.outErr
	}
	p.level = l
	p.outs = append(p.outs, l)
	if p.outCh != nil {
		p.outCh <- l
	}
	return nil
}

func (p *fakePin) Outs() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gpio.Level(nil), p.outs...)
}

var _ gpio.PinIO = (*fakePin)(nil)
