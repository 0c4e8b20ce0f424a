package jetson

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadThermalZones(t *testing.T) {
	tests := []struct {
		root string
		want []ZoneTemp
	}{
		{"testdata/orin-nano", []ZoneTemp{
			{"thermal_zone0", "cpu-thermal", 52.312},
			{"thermal_zone1", "gpu-thermal", 49.875},
			// zones 2..4 (cv*-thermal) read empty and are left out
			{"thermal_zone5", "soc0-thermal", 48.906},
			{"thermal_zone6", "soc1-thermal", 50.218},
			{"thermal_zone7", "soc2-thermal", 47.656},
			{"thermal_zone8", "tj-thermal", 52.312},
		}},
		{"testdata/pc", []ZoneTemp{
			{"thermal_zone0", "acpitz", 27.8},
			{"thermal_zone1", "x86_pkg_temp", 45},
		}},
		{"testdata/no-such-root", nil},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			got, err := ReadThermalZones(tt.root)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadThermalZonesNumericOrder(t *testing.T) {
	got, err := ReadThermalZones("testdata/agx-orin")
	require.NoError(t, err)
	require.Len(t, got, 11)
	for i, z := range got[:10] {
		require.Equal(t, "thermal_zone"+string(rune('0'+i)), z.Zone)
	}
	require.Equal(t, ZoneTemp{"thermal_zone10", "tj-therm", 84.218}, got[10])
	require.Equal(t, ZoneTemp{"thermal_zone0", "CPU-therm", 83.5}, got[0])
}

func TestReadThermalZonesNoneReadable(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sys/class/thermal/thermal_zone0/type": "cpu-thermal\n",
		"sys/class/thermal/thermal_zone0/temp": "n/a\n",
		"sys/class/thermal/thermal_zone1/type": "gpu-thermal\n",
	})
	_, err := ReadThermalZones(root)
	require.ErrorContains(t, err, "none readable")
	require.ErrorContains(t, err, `temp "n/a"`)
	require.ErrorContains(t, err, "thermal_zone1 (gpu-thermal)")
}

func zones(temps ...float64) []ZoneTemp {
	out := make([]ZoneTemp, len(temps))
	for i, c := range temps {
		out[i] = ZoneTemp{Zone: "thermal_zone" + string(rune('0'+i)), Type: []string{"cpu-thermal", "gpu-thermal", "soc0-thermal"}[i], TempC: c}
	}
	return out
}

func TestGovernorHysteresis(t *testing.T) {
	g, err := NewThermalGovernor(GovernorConfig{}) // 80 / 95 / 5 / 0.5
	require.NoError(t, err)
	steps := []struct {
		temps  []ZoneTemp
		state  ThermalState
		factor float64
	}{
		{zones(60, 55), ThermalNormal, 1},
		{zones(80, 70), ThermalNormal, 1}, // at the threshold, not above
		{zones(70, 80.1), ThermalThrottled, 0.5},
		{zones(78, 60), ThermalThrottled, 0.5}, // below 80 but inside the hysteresis
		{zones(75.1), ThermalThrottled, 0.5},
		{zones(75), ThermalNormal, 1}, // 5 °C under the throttle threshold
		{zones(85), ThermalThrottled, 0.5},
		{zones(96), ThermalPaused, 0},
		{zones(93), ThermalPaused, 0},
		{zones(90.1), ThermalPaused, 0},
		{zones(90), ThermalThrottled, 0.5}, // cooled past pause - hysteresis, still hot
		{nil, ThermalThrottled, 0.5},       // no reading keeps the state
		{zones(76), ThermalThrottled, 0.5},
		{zones(74.9), ThermalNormal, 1},
		{zones(50, 100), ThermalPaused, 0}, // straight from normal to paused
		{zones(70), ThermalNormal, 1},      // and straight back when cold
	}
	for i, s := range steps {
		d := g.Step(s.temps)
		require.Equal(t, s.state, d.State, "step %d (%v): %s", i, s.temps, d.Reason)
		require.Equal(t, s.factor, d.FPSFactor, "step %d", i)
		require.NotEmpty(t, d.Reason)
	}
}

func TestGovernorDecisionNamesHottestZone(t *testing.T) {
	g, err := NewThermalGovernor(GovernorConfig{ThrottleC: 70, PauseC: 90, HysteresisC: 3, ThrottleFactor: 0.25})
	require.NoError(t, err)
	d := g.Step(zones(65, 72.5, 60))
	require.Equal(t, Decision{
		State: ThermalThrottled, FPSFactor: 0.25, HottestC: 72.5, Zone: "gpu-thermal",
		Reason: "gpu-thermal 72.5 °C above throttle 70.0 °C",
	}, d)
	d = g.Step(zones(68, 67.5, 60))
	require.Equal(t, ThermalThrottled, d.State)
	require.Equal(t, "cpu-thermal 68.0 °C not yet below 67.0 °C (throttle - hysteresis)", d.Reason)
}

func TestGovernorIgnoresPMICDie(t *testing.T) {
	// Jetson Nano's PMIC-Die zone always reads 100 °C.
	nano := []ZoneTemp{{"thermal_zone0", "AO-therm", 41.5}, {"thermal_zone1", "CPU-therm", 44}, {"thermal_zone4", "PMIC-Die", 100}}
	g, err := NewThermalGovernor(GovernorConfig{})
	require.NoError(t, err)
	d := g.Step(nano)
	require.Equal(t, ThermalNormal, d.State)
	require.Equal(t, "CPU-therm", d.Zone)

	strict, err := NewThermalGovernor(GovernorConfig{Ignore: []string{}})
	require.NoError(t, err)
	require.Equal(t, ThermalPaused, strict.Step(nano).State)
}

func TestGovernorConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg GovernorConfig
		err string
	}{
		{GovernorConfig{ThrottleC: 90, PauseC: 85}, "not above throttle"},
		{GovernorConfig{HysteresisC: -1}, "negative hysteresis"},
		{GovernorConfig{ThrottleFactor: 1.5}, "throttle factor 1.5"},
		{GovernorConfig{ThrottleFactor: -0.5}, "throttle factor -0.5"},
	} {
		_, err := NewThermalGovernor(tt.cfg)
		require.ErrorContains(t, err, tt.err)
	}
}

func TestGovernorWatch(t *testing.T) {
	tests := []struct {
		root   string
		state  ThermalState
		zone   string
		reason string
	}{
		{"testdata/agx-orin", ThermalThrottled, "tj-therm", "tj-therm 84.2 °C above throttle 80.0 °C"},
		{"testdata/orin-nano", ThermalNormal, "cpu-thermal", "cpu-thermal 52.3 °C at or below throttle 80.0 °C"},
		{"testdata/pc", ThermalNormal, "x86_pkg_temp", "x86_pkg_temp 45.0 °C at or below throttle 80.0 °C"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			g, err := NewThermalGovernor(GovernorConfig{Root: tt.root})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			ch := g.Watch(ctx, 5*time.Millisecond)
			for range 3 { // the first reading and two ticks agree
				d := recv(t, ch, "decision")
				require.Equal(t, tt.state, d.State)
				require.Equal(t, tt.zone, d.Zone)
				require.Equal(t, tt.reason, d.Reason)
			}
			cancel()
			for range ch { // drains at most the one buffered decision, then closes
			}
		})
	}
}

func TestGovernorWatchReadError(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sys/class/thermal/thermal_zone0/type": "cpu-thermal\n",
		"sys/class/thermal/thermal_zone0/temp": "garbage\n",
	})
	g, err := NewThermalGovernor(GovernorConfig{Root: root})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := recv(t, g.Watch(ctx, time.Hour), "decision")
	require.Equal(t, ThermalNormal, d.State)
	require.Equal(t, 1.0, d.FPSFactor)
	require.Contains(t, d.Reason, "staying normal")
	require.Contains(t, d.Reason, `temp "garbage"`)
}
