package jetson

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ZoneTemp is one thermal zone's reading.
type ZoneTemp struct {
	Zone  string  // directory name: "thermal_zone0"
	Type  string  // the zone's type file: "cpu-thermal", "GPU-therm", "x86_pkg_temp"
	TempC float64 // degrees Celsius
}

// ReadThermalZones reads /sys/class/thermal/thermal_zone*/{type,temp} under
// root. The kernel reports millidegrees. A zone whose temp cannot be read or
// parsed is left out (Jetson has zones that read empty or fail while their
// block is powered down); the error is set only when zones exist and none
// could be read. A machine without thermal zones gives no zones and no error.
func ReadThermalZones(root string) ([]ZoneTemp, error) {
	if root == "" {
		root = "/"
	}
	pattern := filepath.Join(root, "sys/class/thermal/thermal_zone*")
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("thermal zones %s: %w", pattern, err)
	}
	sort.Slice(dirs, func(i, j int) bool { return zoneIndex(dirs[i]) < zoneIndex(dirs[j]) })
	var (
		zones []ZoneTemp
		errs  []error
	)
	for _, dir := range dirs {
		z, err := readZone(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		zones = append(zones, z)
	}
	if len(zones) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("thermal zones under %s: none readable: %w", root, errors.Join(errs...))
	}
	return zones, nil
}

// zoneIndex orders thermal_zone2 before thermal_zone10.
func zoneIndex(dir string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "thermal_zone"))
	if err != nil {
		return -1
	}
	return n
}

func readZone(dir string) (ZoneTemp, error) {
	z := ZoneTemp{Zone: filepath.Base(dir)}
	typ, err := os.ReadFile(filepath.Join(dir, "type"))
	if err != nil {
		return z, fmt.Errorf("zone %s: %w", z.Zone, err)
	}
	z.Type = strings.TrimSpace(string(typ))
	raw, err := os.ReadFile(filepath.Join(dir, "temp"))
	if err != nil {
		return z, fmt.Errorf("zone %s (%s): %w", z.Zone, z.Type, err)
	}
	milli, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return z, fmt.Errorf("zone %s (%s): temp %q: %w", z.Zone, z.Type, strings.TrimSpace(string(raw)), err)
	}
	z.TempC = float64(milli) / 1000
	return z, nil
}
