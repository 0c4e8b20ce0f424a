package jetson

import (
	"fmt"
	"strings"
)

// Tegra234 GPIO controllers, by the label the kernel gives their gpiochip.
const (
	chipMain = "tegra234-gpio"     // the main controller
	chipAON  = "tegra234-gpio-aon" // the always-on controller
)

// HeaderLine is one GPIO-capable pin of a developer kit's 40-pin header.
type HeaderLine struct {
	Pin    int    // physical header pin (BOARD numbering), 1..40
	Chip   string // gpiochip label, e.g. "tegra234-gpio"
	Offset int    // line offset inside that chip (not a global GPIO number)
	Port   string // Tegra port name, which is also the kernel's line name: "PAC.06"
	Signal string // the module's signal name on the carrier: "GPIO09", "SPI0_MOSI"
	// OutputOnly marks a pin the carrier board only drives outwards
	// (a level shifter or buffer): reading it as an input gives nothing useful.
	OutputOnly bool
}

// headerLines returns the 40-pin header table of the developer kit carrier for
// a module family, or nil when there is none.
//
// Source: NVIDIA's Jetson.GPIO library, lib/python/Jetson/GPIO/gpio_pin_data.py
// (github.com/NVIDIA/jetson-gpio, commit 99a69ea, Feb 2026):
// JETSON_ORIN_NX_PIN_DEFS (used there for both Orin NX and Orin Nano, on the
// P3768 and P3509 carriers) and JETSON_ORIN_PIN_DEFS (AGX Orin on the P3737
// carrier). Columns taken: line offset, line name, chip label, BOARD pin,
// CVM signal name; "Output-only (due to base board)" is their note on AGX
// Orin's pin 11. Pins absent from those tables (power, ground, I2C, UART
// TX/RX) are not GPIO lines.
//
// The table says nothing about the pinmux: on Orin a header pin works as a
// GPIO only once it is muxed as one (jetson-io.py, or the flashed pinmux).
func headerLines(m Module) []HeaderLine {
	switch m {
	case ModuleOrinNano, ModuleOrinNX:
		return []HeaderLine{
			{Pin: 7, Chip: chipMain, Offset: 144, Port: "PAC.06", Signal: "GPIO09"},
			{Pin: 11, Chip: chipMain, Offset: 112, Port: "PR.04", Signal: "UART1_RTS"},
			{Pin: 12, Chip: chipMain, Offset: 50, Port: "PH.07", Signal: "I2S0_SCLK"},
			{Pin: 13, Chip: chipMain, Offset: 122, Port: "PY.00", Signal: "SPI1_SCK"},
			{Pin: 15, Chip: chipMain, Offset: 85, Port: "PN.01", Signal: "GPIO12"},
			{Pin: 16, Chip: chipMain, Offset: 126, Port: "PY.04", Signal: "SPI1_CS1"},
			{Pin: 18, Chip: chipMain, Offset: 125, Port: "PY.03", Signal: "SPI1_CS0"},
			{Pin: 19, Chip: chipMain, Offset: 135, Port: "PZ.05", Signal: "SPI0_MOSI"},
			{Pin: 21, Chip: chipMain, Offset: 134, Port: "PZ.04", Signal: "SPI0_MISO"},
			{Pin: 22, Chip: chipMain, Offset: 123, Port: "PY.01", Signal: "SPI1_MISO"},
			{Pin: 23, Chip: chipMain, Offset: 133, Port: "PZ.03", Signal: "SPI0_SCK"},
			{Pin: 24, Chip: chipMain, Offset: 136, Port: "PZ.06", Signal: "SPI0_CS0"},
			{Pin: 26, Chip: chipMain, Offset: 137, Port: "PZ.07", Signal: "SPI0_CS1"},
			{Pin: 29, Chip: chipMain, Offset: 105, Port: "PQ.05", Signal: "GPIO01"},
			{Pin: 31, Chip: chipMain, Offset: 106, Port: "PQ.06", Signal: "GPIO11"},
			{Pin: 32, Chip: chipMain, Offset: 41, Port: "PG.06", Signal: "GPIO07"},
			{Pin: 33, Chip: chipMain, Offset: 43, Port: "PH.00", Signal: "GPIO13"},
			{Pin: 35, Chip: chipMain, Offset: 53, Port: "PI.02", Signal: "I2S0_FS"},
			{Pin: 36, Chip: chipMain, Offset: 113, Port: "PR.05", Signal: "UART1_CTS"},
			{Pin: 37, Chip: chipMain, Offset: 124, Port: "PY.02", Signal: "SPI1_MOSI"},
			{Pin: 38, Chip: chipMain, Offset: 52, Port: "PI.01", Signal: "I2S0_SDIN"},
			{Pin: 40, Chip: chipMain, Offset: 51, Port: "PI.00", Signal: "I2S0_SDOUT"},
		}
	case ModuleAGXOrin:
		return []HeaderLine{
			{Pin: 7, Chip: chipMain, Offset: 106, Port: "PQ.06", Signal: "MCLK05"},
			{Pin: 11, Chip: chipMain, Offset: 112, Port: "PR.04", Signal: "UART1_RTS", OutputOnly: true},
			{Pin: 12, Chip: chipMain, Offset: 50, Port: "PH.07", Signal: "I2S2_CLK"},
			{Pin: 13, Chip: chipMain, Offset: 108, Port: "PR.00", Signal: "PWM01"},
			{Pin: 15, Chip: chipMain, Offset: 85, Port: "PN.01", Signal: "GPIO27"},
			{Pin: 16, Chip: chipAON, Offset: 9, Port: "PBB.01", Signal: "GPIO08"},
			{Pin: 18, Chip: chipMain, Offset: 43, Port: "PH.00", Signal: "GPIO35"},
			{Pin: 19, Chip: chipMain, Offset: 135, Port: "PZ.05", Signal: "SPI1_MOSI"},
			{Pin: 21, Chip: chipMain, Offset: 134, Port: "PZ.04", Signal: "SPI1_MISO"},
			{Pin: 22, Chip: chipMain, Offset: 96, Port: "PP.04", Signal: "GPIO17"},
			{Pin: 23, Chip: chipMain, Offset: 133, Port: "PZ.03", Signal: "SPI1_CLK"},
			{Pin: 24, Chip: chipMain, Offset: 136, Port: "PZ.06", Signal: "SPI1_CS0_N"},
			{Pin: 26, Chip: chipMain, Offset: 137, Port: "PZ.07", Signal: "SPI1_CS1_N"},
			{Pin: 29, Chip: chipAON, Offset: 1, Port: "PAA.01", Signal: "CAN0_DIN"},
			{Pin: 31, Chip: chipAON, Offset: 0, Port: "PAA.00", Signal: "CAN0_DOUT"},
			{Pin: 32, Chip: chipAON, Offset: 8, Port: "PBB.00", Signal: "GPIO09"},
			{Pin: 33, Chip: chipAON, Offset: 2, Port: "PAA.02", Signal: "CAN1_DOUT"},
			{Pin: 35, Chip: chipMain, Offset: 53, Port: "PI.02", Signal: "I2S2_FS"},
			{Pin: 36, Chip: chipMain, Offset: 113, Port: "PR.05", Signal: "UART1_CTS"},
			{Pin: 37, Chip: chipAON, Offset: 3, Port: "PAA.03", Signal: "CAN1_DIN"},
			{Pin: 38, Chip: chipMain, Offset: 52, Port: "PI.01", Signal: "I2S2_DIN"},
			{Pin: 40, Chip: chipMain, Offset: 51, Port: "PI.00", Signal: "I2S2_DOUT"},
		}
	}
	return nil
}

// HeaderPin looks up a 40-pin header pin of the board's developer kit.
func HeaderPin(b Board, pin int) (HeaderLine, error) {
	lines := headerLines(b.Module)
	if lines == nil {
		return HeaderLine{}, fmt.Errorf("header pin %d: no 40-pin header table for module %q (model %q); have orin-nano, orin-nx, agx-orin",
			pin, b.Module, b.Model)
	}
	if pin < 1 || pin > 40 {
		return HeaderLine{}, fmt.Errorf("header pin %d: outside 1..40", pin)
	}
	for _, l := range lines {
		if l.Pin == pin {
			return l, nil
		}
	}
	return HeaderLine{}, fmt.Errorf("header pin %d: not a GPIO line on the %s header (power, ground, I2C or UART)", pin, b.Module)
}

// lineNameMatches tells whether the kernel's name for a line fits the table.
// An unnamed line is accepted (nothing to compare); periph prefixes the chip
// name to a name that two chips share ("gpiochip1-PAA.00").
func lineNameMatches(got, want string) bool {
	return got == "" || got == want || strings.HasSuffix(got, "-"+want)
}
