package jetson

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// State is what the status LED shows.
type State int

// LED states.
const (
	StateIdle    State = iota // off
	StateWorking              // on
	StateError                // blinking at 2 Hz
)

func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateWorking:
		return "working"
	case StateError:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// blinkHalfPeriod gives 2 Hz: 250 ms on, 250 ms off.
const blinkHalfPeriod = 250 * time.Millisecond

// LED shows a State on a GPIO output. Set may be called from any goroutine;
// Run drives the pin.
type LED struct {
	pin       gpio.PinOut
	activeLow bool
	changed   chan struct{} // capacity 1: a pending "look at the state again"
	// newTicker is time.NewTicker in production; tests step a fake one.
	newTicker func(d time.Duration) (<-chan time.Time, func())

	mu    sync.Mutex
	state State
}

// NewLED returns an LED in StateIdle. activeLow: the LED lights when the pin is
// low (wired from 3.3 V to the pin).
func NewLED(pin gpio.PinOut, activeLow bool) *LED {
	return &LED{
		pin:       pin,
		activeLow: activeLow,
		changed:   make(chan struct{}, 1),
		newTicker: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
}

// Set changes what the LED shows. An unknown State shows as StateError.
func (l *LED) Set(s State) {
	if s != StateIdle && s != StateWorking {
		s = StateError
	}
	l.mu.Lock()
	l.state = s
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default: // a wake-up is already pending; Run will read the newest state
	}
}

// State returns the state last Set.
func (l *LED) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Run drives the pin until ctx ends, then turns the LED off and returns nil.
// It returns an error when the pin cannot be driven.
func (l *LED) Run(ctx context.Context) error {
	if l.pin == nil || l.changed == nil {
		return fmt.Errorf("led: no pin (make one with NewLED)")
	}
	var (
		tick      <-chan time.Time
		stopTick  = func() {}
		lit       bool
		lastShown = State(-1)
	)
	defer func() { stopTick() }()
	for {
		if s := l.State(); s != lastShown {
			lastShown = s
			stopTick()
			tick, stopTick = nil, func() {}
			lit = s != StateIdle // error starts with the LED on
			if s == StateError {
				tick, stopTick = l.newTicker(blinkHalfPeriod)
			}
			if err := l.show(lit); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return l.show(false)
		case <-l.changed:
		case <-tick:
			lit = !lit
			if err := l.show(lit); err != nil {
				return err
			}
		}
	}
}

func (l *LED) show(lit bool) error {
	level := gpio.Level(lit != l.activeLow)
	if err := l.pin.Out(level); err != nil {
		return fmt.Errorf("led %s: set %s: %w", l.pin, level, err)
	}
	return nil
}
