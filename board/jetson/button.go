package jetson

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// DefaultDebounce is how long a button's level must hold still before it counts.
const DefaultDebounce = 30 * time.Millisecond

// defaultButtonPoll bounds each idle wait, so Run sees its context end even on
// a pin whose Halt cannot interrupt WaitForEdge.
const defaultButtonPoll = 200 * time.Millisecond

// Button is a push button on a GPIO input. It waits for edges (no busy
// polling) and reports a press once the level has held still for Debounce.
type Button struct {
	Pin gpio.PinIn
	// Debounce: how long the level must stay unchanged after the last edge;
	// zero means DefaultDebounce.
	Debounce time.Duration
	// ActiveLow: the button pulls the line low when pressed (a switch to
	// ground with a pull-up, the usual wiring). Otherwise pressed reads high.
	ActiveLow bool
	// Pull is passed to Pin.In. The zero value, gpio.PullNoChange, keeps what
	// the pinmux set: on Jetson header pins pulls come from the pinmux, and
	// the Tegra GPIO driver may ignore a bias request.
	Pull gpio.Pull
	// Poll bounds each idle WaitForEdge; zero means 200 ms.
	Poll time.Duration
}

// Run watches the button until ctx ends, calling onPress once per debounced
// press (released → pressed). A button already held when Run starts counts
// only after it is released and pressed again. onPress runs on Run's
// goroutine: edges arriving meanwhile queue in the kernel and are debounced
// afterwards. Run returns nil when ctx ends, or an error when the pin cannot
// be set up as an edge-triggered input.
func (b *Button) Run(ctx context.Context, onPress func()) error {
	if b.Pin == nil {
		return errors.New("button: no pin")
	}
	if onPress == nil {
		return fmt.Errorf("button %s: nil onPress", b.Pin)
	}
	debounce := b.Debounce
	if debounce == 0 {
		debounce = DefaultDebounce
	}
	if debounce < 0 {
		return fmt.Errorf("button %s: negative debounce %v", b.Pin, debounce)
	}
	poll := b.Poll
	if poll <= 0 {
		poll = defaultButtonPoll
	}
	if err := b.Pin.In(b.Pull, gpio.BothEdges); err != nil {
		return fmt.Errorf("button %s: set input with both edges: %w", b.Pin, err)
	}
	// Halt interrupts a blocked WaitForEdge on pins that support it.
	stop := context.AfterFunc(ctx, func() { _ = b.Pin.Halt() })
	defer stop()

	pressed := gpio.High
	if b.ActiveLow {
		pressed = gpio.Low
	}
	stable := b.Pin.Read()
	for ctx.Err() == nil {
		if !b.Pin.WaitForEdge(poll) {
			continue
		}
		// Something moved: wait until the line has been quiet for the
		// debounce time, whatever it does meanwhile.
		for b.Pin.WaitForEdge(debounce) {
			if ctx.Err() != nil {
				return nil
			}
		}
		level := b.Pin.Read()
		if level == stable {
			continue // a glitch that settled back where it was
		}
		stable = level
		if level == pressed {
			onPress()
		}
	}
	return nil
}
