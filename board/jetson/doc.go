// Package jetson adds what only an NVIDIA Jetson has: board detection from the
// device tree and /etc/nv_tegra_release, CSI and USB camera pipelines for
// GStreamer, the 40-pin header's GPIO lines (through the Linux GPIO character
// device, so no cgo), a debounced push button, a status LED, a thermal governor
// and the nvpmodel power mode.
//
// Everything that reads the system takes a root folder ("/" on a real board),
// so tests run against fake /proc and /sys trees under testdata/. Everything
// that drives a pin takes periph's gpio.PinIn or gpio.PinOut, so tests drive it
// with fake pins.
//
// Its room in docs/architecture.md: devices: imports nothing of the project.
package jetson
