package jetson

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
)

const ms = time.Millisecond

func concat(parts ...[]change) []change {
	var out []change
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestButtonDebounce(t *testing.T) {
	tests := []struct {
		name      string
		activeLow bool
		debounce  time.Duration
		start     gpio.Level
		script    []change
		want      []time.Duration // virtual times of the onPress calls
	}{
		{
			name:      "bouncing press and release give one press",
			activeLow: true,
			start:     gpio.High,
			script: concat(
				bounce(100*ms, gpio.Low, 1*ms, 2*ms, 1*ms, 3*ms), // settles at 107 ms
				bounce(400*ms, gpio.High, 2*ms, 1*ms, 2*ms),
			),
			want: []time.Duration{137 * ms}, // last bounce + 30 ms
		},
		{
			name:      "two presses spaced apart give two",
			activeLow: true,
			start:     gpio.High,
			script: concat(
				bounce(100*ms, gpio.Low, 2*ms, 2*ms), // settles at 104 ms
				bounce(250*ms, gpio.High, 1*ms, 1*ms),
				bounce(600*ms, gpio.Low, 3*ms, 1*ms, 1*ms, 1*ms, 2*ms), // settles at 608 ms
				bounce(800*ms, gpio.High, 2*ms),
			),
			want: []time.Duration{134 * ms, 638 * ms},
		},
		{
			name:      "a glitch shorter than the debounce is not a press",
			activeLow: true,
			start:     gpio.High,
			script:    []change{{100 * ms, gpio.Low}, {112 * ms, gpio.High}},
			want:      nil,
		},
		{
			name:   "active high",
			start:  gpio.Low,
			script: concat(bounce(50*ms, gpio.High, 1*ms, 1*ms), bounce(300*ms, gpio.Low, 1*ms, 1*ms)),
			want:   []time.Duration{82 * ms},
		},
		{
			name:      "held at start counts only after release and a new press",
			activeLow: true,
			start:     gpio.Low,
			script: concat(
				bounce(100*ms, gpio.High, 1*ms, 1*ms), // release
				bounce(300*ms, gpio.Low, 2*ms),        // press, settles at 302 ms
				bounce(500*ms, gpio.High, 2*ms),
			),
			want: []time.Duration{332 * ms},
		},
		{
			name:      "slow bounce is one press at the default 30 ms",
			activeLow: true,
			start:     gpio.High,
			script:    concat(bounce(100*ms, gpio.Low, 20*ms, 20*ms), bounce(400*ms, gpio.High)), // settles at 140 ms
			want:      []time.Duration{170 * ms},
		},
		{
			name:      "slow bounce is two presses at 10 ms",
			activeLow: true,
			debounce:  10 * ms,
			start:     gpio.High,
			script:    concat(bounce(100*ms, gpio.Low, 20*ms, 20*ms), bounce(400*ms, gpio.High)),
			want:      []time.Duration{110 * ms, 150 * ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p := &fakePin{name: "fake-button", level: tt.start, script: tt.script, idle: cancel}
			b := &Button{Pin: p, ActiveLow: tt.activeLow, Debounce: tt.debounce, Pull: gpio.PullUp}
			var got []time.Duration
			err := b.Run(ctx, func() { got = append(got, p.Now()) })
			require.NoError(t, err)
			require.ErrorIs(t, ctx.Err(), context.Canceled, "Run must end because the script ran out, not by the safety timeout")
			require.Equal(t, tt.want, got)
			require.Equal(t, gpio.BothEdges, p.edge)
			require.Equal(t, gpio.PullUp, p.Pull())
		})
	}
}

func TestButtonErrors(t *testing.T) {
	ctx := context.Background()
	require.ErrorContains(t, (&Button{}).Run(ctx, func() {}), "no pin")
	require.ErrorContains(t, (&Button{Pin: &fakePin{name: "p"}}).Run(ctx, nil), "nil onPress")
	require.ErrorContains(t, (&Button{Pin: &fakePin{name: "p"}, Debounce: -ms}).Run(ctx, func() {}), "negative debounce")

	failing := &fakePin{name: "gpio-busy", inErr: errors.New("device or resource busy")}
	err := (&Button{Pin: failing}).Run(ctx, func() {})
	require.ErrorContains(t, err, "gpio-busy")
	require.ErrorContains(t, err, "device or resource busy")
}

func TestButtonStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &fakePin{name: "idle", level: gpio.High}
	require.NoError(t, (&Button{Pin: p}).Run(ctx, func() { t.Error("no press expected") }))
}
