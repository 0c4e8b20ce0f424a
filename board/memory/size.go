package memory

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the suffixes ParseSize takes: decimal (K, M, G, T, with or without B) and
// binary (KiB, MiB, GiB, TiB), in any case.
var units = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a memory size: 7G, 7GB, 7000M, 6.5GiB, or a plain byte count.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := units[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, fmt.Errorf("size %q: want a number and a unit, e.g. 7G, 7GB, 7000M or 6.5GiB", s)
	}
	b := v * mult
	if b < 1 || b > math.MaxInt64/2 || math.IsNaN(b) {
		return 0, fmt.Errorf("size %q: want more than 0 bytes and less than 4 EB", s)
	}
	return int64(b), nil
}

// Size prints bytes in decimal gigabytes (or megabytes under one), as the budget
// messages and edge info do.
func Size(b int64) string {
	if b < 1e9 {
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(b)/1e9)
}
