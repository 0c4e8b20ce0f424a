package jetson

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeaderPin(t *testing.T) {
	nano := Board{Module: ModuleOrinNano, IsJetson: true}
	nx := Board{Module: ModuleOrinNX, IsJetson: true}
	agx := Board{Module: ModuleAGXOrin, IsJetson: true}
	tests := []struct {
		name  string
		board Board
		pin   int
		want  HeaderLine
		err   string
	}{
		{"orin nano pin 7", nano, 7, HeaderLine{Pin: 7, Chip: "tegra234-gpio", Offset: 144, Port: "PAC.06", Signal: "GPIO09"}, ""},
		{"orin nx shares the table", nx, 40, HeaderLine{Pin: 40, Chip: "tegra234-gpio", Offset: 51, Port: "PI.00", Signal: "I2S0_SDOUT"}, ""},
		{"orin nano pwm pin 32", nano, 32, HeaderLine{Pin: 32, Chip: "tegra234-gpio", Offset: 41, Port: "PG.06", Signal: "GPIO07"}, ""},
		{"agx orin pin 7 differs", agx, 7, HeaderLine{Pin: 7, Chip: "tegra234-gpio", Offset: 106, Port: "PQ.06", Signal: "MCLK05"}, ""},
		{"agx orin aon pin 16", agx, 16, HeaderLine{Pin: 16, Chip: "tegra234-gpio-aon", Offset: 9, Port: "PBB.01", Signal: "GPIO08"}, ""},
		{"agx orin output-only pin 11", agx, 11, HeaderLine{Pin: 11, Chip: "tegra234-gpio", Offset: 112, Port: "PR.04", Signal: "UART1_RTS", OutputOnly: true}, ""},
		{"power pin", nano, 1, HeaderLine{}, "not a GPIO line"},
		{"ground pin", agx, 6, HeaderLine{}, "not a GPIO line"},
		{"beyond the header", nano, 41, HeaderLine{}, "outside 1..40"},
		{"no table for xavier nx", Board{Module: ModuleXavierNX, IsJetson: true}, 7, HeaderLine{}, `module "xavier-nx"`},
		{"no table for a pc", Board{Module: ModuleUnknown}, 7, HeaderLine{}, `module "unknown"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HeaderPin(tt.board, tt.pin)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestHeaderTablesConsistent(t *testing.T) {
	for _, m := range []Module{ModuleOrinNano, ModuleAGXOrin} {
		lines := headerLines(m)
		require.Len(t, lines, 22, m)
		pins := map[int]bool{}
		offsets := map[string]bool{}
		ports := map[string]bool{}
		for _, l := range lines {
			require.True(t, l.Pin >= 1 && l.Pin <= 40, "%s pin %d", m, l.Pin)
			require.False(t, pins[l.Pin], "%s pin %d twice", m, l.Pin)
			pins[l.Pin] = true
			key := l.Chip + "/" + l.Port
			require.False(t, offsets[key], "%s line %s twice", m, key)
			offsets[key] = true
			require.False(t, ports[l.Port], "%s port %s twice", m, l.Port)
			ports[l.Port] = true
			require.Contains(t, []string{chipMain, chipAON}, l.Chip)
		}
		// Power, ground and the I2C/UART pins are never GPIO lines.
		for _, p := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 14, 17, 20, 25, 27, 28, 30, 34, 39} {
			require.False(t, pins[p], "%s pin %d", m, p)
		}
	}
}

func TestLineNameMatches(t *testing.T) {
	require.True(t, lineNameMatches("PAC.06", "PAC.06"))
	require.True(t, lineNameMatches("", "PAC.06"))
	require.True(t, lineNameMatches("gpiochip1-PAA.00", "PAA.00"))
	require.False(t, lineNameMatches("PAC.05", "PAC.06"))
	require.False(t, lineNameMatches("XPAC.06", "PAC.06"))
}

func TestOpenPin(t *testing.T) {
	_, err := OpenPin(Board{Model: "Standard PC"}, 7)
	require.ErrorContains(t, err, "not a Jetson")

	board, err := Detect("testdata/orin-nano")
	require.NoError(t, err)
	_, err = OpenPin(board, 2)
	require.ErrorContains(t, err, "not a GPIO line")

	self, err := Detect("")
	require.NoError(t, err)
	if self.IsJetson {
		t.Skip("this machine is a Jetson: the Orin Nano fixture does not describe its gpio chips")
	}
	_, err = OpenPin(board, 7)
	require.ErrorContains(t, err, `no gpiochip labelled "tegra234-gpio"`)
}
