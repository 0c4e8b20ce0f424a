package jetson

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ThermalState is the governor's verdict.
type ThermalState string

// Thermal states.
const (
	ThermalNormal    ThermalState = "normal"    // full frame rate
	ThermalThrottled ThermalState = "throttled" // reduced frame rate
	ThermalPaused    ThermalState = "paused"    // no inference until it cools
)

// Decision is what the governor tells the frame scheduler.
type Decision struct {
	State     ThermalState
	FPSFactor float64 // multiply the frame rate by this: 1, ThrottleFactor or 0
	Reason    string
	HottestC  float64 // hottest zone considered; 0 when there was none
	Zone      string  // its type
}

// Governor defaults.
const (
	DefaultThrottleC      = 80.0
	DefaultPauseC         = 95.0
	DefaultHysteresisC    = 5.0
	DefaultThrottleFactor = 0.5
	defaultWatchInterval  = 2 * time.Second
)

// GovernorConfig holds the thresholds. Zero fields take the defaults.
type GovernorConfig struct {
	ThrottleC      float64 // throttle when the hottest zone is above this
	PauseC         float64 // pause when it is above this
	HysteresisC    float64 // return only once this much cooler than the threshold
	ThrottleFactor float64 // frame-rate factor while throttled, in (0, 1]
	// Ignore lists zone types left out. nil means DefaultIgnoredZones; an
	// empty non-nil slice ignores nothing.
	Ignore []string
	Root   string // filesystem root Watch reads under; default "/"
}

// DefaultIgnoredZones returns the zone types that do not measure a
// temperature: Jetson Nano's and TX's PMIC-Die zone reports a fixed 100 °C.
func DefaultIgnoredZones() []string { return []string{"PMIC-Die"} }

// ThermalGovernor turns zone temperatures into a Decision, with hysteresis:
// above ThrottleC it throttles, above PauseC it pauses, and it steps back only
// once the hottest zone is HysteresisC below the threshold it crossed. Safe
// for concurrent use.
type ThermalGovernor struct {
	cfg GovernorConfig

	mu    sync.Mutex
	state ThermalState
}

// NewThermalGovernor checks the config and starts in ThermalNormal.
func NewThermalGovernor(cfg GovernorConfig) (*ThermalGovernor, error) {
	if cfg.ThrottleC == 0 {
		cfg.ThrottleC = DefaultThrottleC
	}
	if cfg.PauseC == 0 {
		cfg.PauseC = DefaultPauseC
	}
	if cfg.HysteresisC == 0 {
		cfg.HysteresisC = DefaultHysteresisC
	}
	if cfg.ThrottleFactor == 0 {
		cfg.ThrottleFactor = DefaultThrottleFactor
	}
	if cfg.Ignore == nil {
		cfg.Ignore = DefaultIgnoredZones()
	}
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	var errs []error
	if cfg.PauseC <= cfg.ThrottleC {
		errs = append(errs, fmt.Errorf("pause %.1f °C not above throttle %.1f °C", cfg.PauseC, cfg.ThrottleC))
	}
	if cfg.HysteresisC < 0 {
		errs = append(errs, fmt.Errorf("negative hysteresis %.1f °C", cfg.HysteresisC))
	}
	if cfg.ThrottleFactor <= 0 || cfg.ThrottleFactor > 1 {
		errs = append(errs, fmt.Errorf("throttle factor %g outside (0, 1]", cfg.ThrottleFactor))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("thermal governor: %w", errors.Join(errs...))
	}
	return &ThermalGovernor{cfg: cfg, state: ThermalNormal}, nil
}

// Step takes one set of readings and returns the decision. With no usable
// reading the state stays as it was.
func (g *ThermalGovernor) Step(temps []ZoneTemp) Decision {
	g.mu.Lock()
	defer g.mu.Unlock()
	var hot *ZoneTemp
	for i := range temps {
		if slices.Contains(g.cfg.Ignore, temps[i].Type) {
			continue
		}
		if hot == nil || temps[i].TempC > hot.TempC {
			hot = &temps[i]
		}
	}
	if hot == nil {
		return g.decide(g.state, 0, "", fmt.Sprintf("no thermal readings; staying %s", g.state))
	}
	c := g.cfg
	t := hot.TempC
	var next ThermalState
	var why string
	switch {
	case t > c.PauseC:
		next, why = ThermalPaused, fmt.Sprintf("above pause %.1f °C", c.PauseC)
	case g.state == ThermalPaused && t > c.PauseC-c.HysteresisC:
		next, why = ThermalPaused, fmt.Sprintf("not yet below %.1f °C (pause - hysteresis)", c.PauseC-c.HysteresisC)
	case t > c.ThrottleC:
		next, why = ThermalThrottled, fmt.Sprintf("above throttle %.1f °C", c.ThrottleC)
	case g.state != ThermalNormal && t > c.ThrottleC-c.HysteresisC:
		next, why = ThermalThrottled, fmt.Sprintf("not yet below %.1f °C (throttle - hysteresis)", c.ThrottleC-c.HysteresisC)
	default:
		next, why = ThermalNormal, fmt.Sprintf("at or below throttle %.1f °C", c.ThrottleC)
		if g.state != ThermalNormal {
			why = fmt.Sprintf("cooled to %.1f °C or below", c.ThrottleC-c.HysteresisC)
		}
	}
	g.state = next
	return g.decide(next, t, hot.Type, fmt.Sprintf("%s %.1f °C %s", hot.Type, t, why))
}

func (g *ThermalGovernor) decide(s ThermalState, hottest float64, zone, reason string) Decision {
	d := Decision{State: s, Reason: reason, HottestC: hottest, Zone: zone}
	switch s {
	case ThermalNormal:
		d.FPSFactor = 1
	case ThermalThrottled:
		d.FPSFactor = g.cfg.ThrottleFactor
	}
	return d
}

// Watch reads the thermal zones under the configured root every interval
// (zero means 2 s), the first time at once, and sends each decision. The
// channel holds only the newest decision: a slow reader never acts on a
// stale one. It is closed when ctx ends. A failed read keeps the state and
// says why in Reason.
func (g *ThermalGovernor) Watch(ctx context.Context, interval time.Duration) <-chan Decision {
	if interval <= 0 {
		interval = defaultWatchInterval
	}
	out := make(chan Decision, 1)
	go func() {
		defer close(out)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			d := g.readAndStep()
			select {
			case <-out: // drop the unread older decision
			default:
			}
			out <- d // cannot block: this goroutine is the only sender and just emptied the slot
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return out
}

func (g *ThermalGovernor) readAndStep() Decision {
	zones, err := ReadThermalZones(g.cfg.Root)
	if err != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.decide(g.state, 0, "", fmt.Sprintf("staying %s: %v", g.state, err))
	}
	return g.Step(zones)
}
