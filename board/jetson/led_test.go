package jetson

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
)

// fakeTicker lets a test step the LED's blink clock.
type fakeTicker struct {
	periods chan time.Duration // each ticker the LED asks for
	c       chan time.Time
	stops   chan struct{}
}

func newFakeTicker() *fakeTicker {
	return &fakeTicker{periods: make(chan time.Duration, 8), c: make(chan time.Time), stops: make(chan struct{}, 8)}
}

func (f *fakeTicker) new(d time.Duration) (<-chan time.Time, func()) {
	f.periods <- d
	return f.c, func() { f.stops <- struct{}{} }
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestLEDStates(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		on, off := gpio.High, gpio.Low
		if activeLow {
			on, off = gpio.Low, gpio.High
		}
		t.Run(map[bool]string{false: "active high", true: "active low"}[activeLow], func(t *testing.T) {
			p := &fakePin{name: "led", outCh: make(chan gpio.Level, 64)}
			ft := newFakeTicker()
			led := NewLED(p, activeLow)
			led.newTicker = ft.new
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- led.Run(ctx) }()

			require.Equal(t, off, recv(t, p.outCh, "idle: off"))

			led.Set(StateWorking)
			require.Equal(t, on, recv(t, p.outCh, "working: on"))

			led.Set(StateError)
			require.Equal(t, 250*time.Millisecond, recv(t, ft.periods, "blink ticker"), "2 Hz blink toggles every 250 ms")
			require.Equal(t, on, recv(t, p.outCh, "error: starts on"))
			for _, want := range []gpio.Level{off, on, off, on} {
				ft.c <- time.Time{}
				require.Equal(t, want, recv(t, p.outCh, "blink toggle"))
			}

			led.Set(StateIdle)
			recv(t, ft.stops, "blink ticker stopped")
			require.Equal(t, off, recv(t, p.outCh, "idle again: off"))

			led.Set(StateWorking)
			require.Equal(t, on, recv(t, p.outCh, "working again: on"))

			cancel()
			require.NoError(t, recv(t, done, "Run to return"))
			require.Equal(t, off, recv(t, p.outCh, "off on exit"))
			require.Empty(t, ft.periods, "only the error state blinks")
			require.Equal(t, []gpio.Level{off, on, on, off, on, off, on, off, on, off}, p.Outs())
		})
	}
}

func TestLEDSet(t *testing.T) {
	led := NewLED(&fakePin{name: "led"}, false)
	require.Equal(t, StateIdle, led.State())
	led.Set(StateWorking)
	require.Equal(t, StateWorking, led.State())
	led.Set(State(42))
	require.Equal(t, StateError, led.State(), "an unknown state shows as an error")
	require.Equal(t, "error", led.State().String())
}

func TestLEDErrors(t *testing.T) {
	require.ErrorContains(t, (&LED{}).Run(context.Background()), "NewLED")

	p := &fakePin{name: "led-broken", outErr: errors.New("permission denied")}
	err := NewLED(p, false).Run(context.Background())
	require.ErrorContains(t, err, "led-broken")
	require.ErrorContains(t, err, "permission denied")
}
