package jetson

import (
	"fmt"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3/gpioioctl"
)

// OpenPin returns the GPIO line behind a 40-pin header pin, through the Linux
// GPIO character device (/dev/gpiochip*; no cgo, no sysfs). The process needs
// read/write access to the gpiochip device (root, or the "gpio" group that
// JetPack's udev rules create). The line is requested on first In or Out.
func OpenPin(b Board, headerPin int) (gpio.PinIO, error) {
	if !b.IsJetson {
		return nil, fmt.Errorf("open header pin %d: not a Jetson (model %q)", headerPin, b.Model)
	}
	hl, err := HeaderPin(b, headerPin)
	if err != nil {
		return nil, fmt.Errorf("open %w", err)
	}
	// driverreg.Init runs once per process; later calls return the first
	// result. It fills gpioioctl.Chips from /dev/gpiochip*.
	state, err := driverreg.Init()
	if err != nil {
		return nil, fmt.Errorf("open header pin %d: periph init: %w", headerPin, err)
	}
	var labels []string
	for _, chip := range gpioioctl.Chips {
		if chip.Label() != hl.Chip {
			labels = append(labels, chip.Label())
			continue
		}
		if hl.Offset >= chip.LineCount() {
			return nil, fmt.Errorf("open header pin %d: %s (%s) has %d lines, table says offset %d",
				headerPin, chip.Name(), hl.Chip, chip.LineCount(), hl.Offset)
		}
		line := chip.ByNumber(hl.Offset)
		if !lineNameMatches(line.Name(), hl.Port) {
			// A different name means the table does not fit this kernel:
			// refuse rather than drive someone else's line.
			return nil, fmt.Errorf("open header pin %d: %s line %d is named %q, table says %q",
				headerPin, hl.Chip, hl.Offset, line.Name(), hl.Port)
		}
		return line, nil
	}
	var failed []string
	for _, f := range state.Failed {
		failed = append(failed, f.String())
	}
	return nil, fmt.Errorf("open header pin %d: no gpiochip labelled %q (found %q; driver failures %q)",
		headerPin, hl.Chip, labels, failed)
}
