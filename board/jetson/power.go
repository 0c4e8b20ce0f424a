package jetson

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// PowerMode is the nvpmodel power mode.
type PowerMode struct {
	Name  string // "MODE_15W", "15W", "MAXN"; "unknown" when nvpmodel is absent
	ID    int    // the mode number nvpmodel prints under the name; -1 when unknown
	Known bool
}

// UnknownPowerMode is what ReadPowerMode reports without nvpmodel.
func UnknownPowerMode() PowerMode { return PowerMode{Name: "unknown", ID: -1} }

const nvpmodelTimeout = 5 * time.Second

// ReadPowerMode runs "<bin> -q" and parses it. bin "" means "nvpmodel" from
// PATH. Without that binary (not a Jetson, or a container without it) it
// returns UnknownPowerMode and no error.
func ReadPowerMode(ctx context.Context, bin string) (PowerMode, error) {
	if bin == "" {
		bin = "nvpmodel"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return UnknownPowerMode(), nil
		}
		return UnknownPowerMode(), fmt.Errorf("power mode: look up %s: %w", bin, err)
	}
	ctx, cancel := context.WithTimeout(ctx, nvpmodelTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-q")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return UnknownPowerMode(), fmt.Errorf("power mode: %s -q: %w (stderr %q)", path, err, strings.TrimSpace(stderr.String()))
	}
	m, err := ParsePowerMode(stdout.String())
	if err != nil {
		return UnknownPowerMode(), fmt.Errorf("power mode: %s -q: %w", path, err)
	}
	return m, nil
}

// ParsePowerMode reads nvpmodel -q output: a line containing
// "NV Power Mode: <name>" (possibly after a prefix, as with --verbose), and
// the mode number on the next line that is a bare integer. Other lines
// ("NV Fan Mode:quiet", warnings) are skipped.
func ParsePowerMode(out string) (PowerMode, error) {
	m := UnknownPowerMode()
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if _, name, ok := strings.Cut(line, "NV Power Mode:"); ok {
			m.Name = strings.TrimSpace(name)
			m.Known = m.Name != ""
			continue
		}
		if m.Known && m.ID < 0 {
			if id, err := strconv.Atoi(line); err == nil && id >= 0 {
				m.ID = id
			}
		}
	}
	if !m.Known {
		return UnknownPowerMode(), fmt.Errorf("no \"NV Power Mode: <name>\" line in %q", out)
	}
	return m, nil
}
