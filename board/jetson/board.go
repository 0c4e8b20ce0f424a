package jetson

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Module names the Jetson module family.
type Module string

// Module families Detect recognises.
const (
	ModuleOrinNano  Module = "orin-nano"
	ModuleOrinNX    Module = "orin-nx"
	ModuleAGXOrin   Module = "agx-orin"
	ModuleXavierNX  Module = "xavier-nx"
	ModuleAGXXavier Module = "agx-xavier"
	ModuleNano      Module = "nano"
	ModuleUnknown   Module = "unknown"
)

// Board is what Detect found.
type Board struct {
	Model      string   // /proc/device-tree/model, or the DMI product name on a PC
	Compatible []string // /proc/device-tree/compatible entries
	Module     Module   // module family; ModuleUnknown when not recognised
	L4T        string   // "35.4.1"; empty when /etc/nv_tegra_release is absent
	JetPack    string   // best guess from L4T ("5.1.2", or "5.x" for an unlisted release)
	IsJetson   bool
}

// Detect reads the board description under root ("/" on a real system). A
// machine that is not a Jetson gives IsJetson false and no error; an error
// means a file exists but could not be read or parsed.
func Detect(root string) (Board, error) {
	if root == "" {
		root = "/"
	}
	var b Board
	model, err := readOptional(filepath.Join(root, "proc/device-tree/model"))
	if err != nil {
		return b, fmt.Errorf("detect board: %w", err)
	}
	b.Model = trimNUL(model)
	compat, err := readOptional(filepath.Join(root, "proc/device-tree/compatible"))
	if err != nil {
		return b, fmt.Errorf("detect board: %w", err)
	}
	b.Compatible = splitNUL(compat)
	if b.Model == "" {
		// A PC has no device tree; the DMI product name is the closest thing.
		dmi, err := readOptional(filepath.Join(root, "sys/class/dmi/id/product_name"))
		if err != nil {
			return b, fmt.Errorf("detect board: %w", err)
		}
		b.Model = strings.TrimSpace(string(dmi))
	}

	releasePath := filepath.Join(root, "etc/nv_tegra_release")
	release, err := readOptional(releasePath)
	if err != nil {
		return b, fmt.Errorf("detect board: %w", err)
	}
	hasRelease := release != nil
	if hasRelease {
		b.L4T, err = ParseL4TRelease(string(release))
		if err != nil {
			return b, fmt.Errorf("detect board: %s: %w", releasePath, err)
		}
		b.JetPack = JetPackForL4T(b.L4T)
	}

	b.IsJetson = hasRelease || isTegra(b.Compatible) || strings.Contains(b.Model, "Jetson")
	b.Module = ModuleUnknown
	if b.IsJetson {
		b.Module = moduleOf(b.Compatible, b.Model)
	}
	return b, nil
}

// readOptional returns nil, nil for a missing file.
func readOptional(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if data == nil {
		data = []byte{} // present but empty: keep it distinguishable from missing
	}
	return data, nil
}

func trimNUL(b []byte) string {
	return strings.TrimSpace(string(bytes.TrimRight(b, "\x00")))
}

// splitNUL splits a device-tree string list ("a\0b\0").
func splitNUL(b []byte) []string {
	var out []string
	for _, s := range bytes.Split(b, []byte{0}) {
		if t := strings.TrimSpace(string(s)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func isTegra(compat []string) bool {
	for _, c := range compat {
		if strings.HasPrefix(c, "nvidia,tegra") {
			return true
		}
	}
	return false
}

// moduleOf prefers the module part number in the compatible list (it names the
// module, whatever carrier it sits on) and falls back to the model string.
// Part numbers: P3767 Orin NX (SKU 0000, 0001) and Orin Nano (0003, 0004,
// 0005); P3701 AGX Orin; P3668 Xavier NX; P2888 AGX Xavier (P2972 its dev
// kit); P3448 Nano (P3450 its dev kit).
func moduleOf(compat []string, model string) Module {
	for _, c := range compat {
		for _, part := range strings.Split(strings.TrimPrefix(c, "nvidia,"), "+") {
			part = strings.TrimSuffix(part, "-super")
			switch {
			case part == "p3767-0000" || part == "p3767-0001":
				return ModuleOrinNX
			case strings.HasPrefix(part, "p3767-"):
				return ModuleOrinNano
			case strings.HasPrefix(part, "p3701-"):
				return ModuleAGXOrin
			case strings.HasPrefix(part, "p3668-"):
				return ModuleXavierNX
			case strings.HasPrefix(part, "p2888-"), strings.HasPrefix(part, "p2972-"), part == "jetson-xavier":
				return ModuleAGXXavier
			case strings.HasPrefix(part, "p3448-"), strings.HasPrefix(part, "p3450-"), part == "jetson-nano":
				return ModuleNano
			}
		}
	}
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "orin nano"):
		return ModuleOrinNano
	case strings.Contains(m, "orin nx"):
		return ModuleOrinNX
	case strings.Contains(m, "agx orin"):
		return ModuleAGXOrin
	case strings.Contains(m, "xavier nx"):
		return ModuleXavierNX
	case strings.Contains(m, "agx xavier"):
		return ModuleAGXXavier
	case strings.Contains(m, "jetson nano"), strings.Contains(m, "jetson-nano"):
		return ModuleNano
	}
	return ModuleUnknown
}

// ParseL4TRelease turns the first line of /etc/nv_tegra_release,
// "# R35 (release), REVISION: 4.1, GCID: ...", into "35.4.1". A one-part
// revision ("REVISION: 4.1" is two) is padded: "R32 ... REVISION: 7" → "32.7.0".
func ParseL4TRelease(text string) (string, error) {
	line, _, _ := strings.Cut(text, "\n")
	line = strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(line, "# R")
	if !ok {
		return "", fmt.Errorf("no \"# R<major>\" in %q", line)
	}
	majorText, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return "", fmt.Errorf("no release major in %q", line)
	}
	major, err := strconv.Atoi(majorText)
	if err != nil {
		return "", fmt.Errorf("release major %q in %q: %w", majorText, line, err)
	}
	_, rev, ok := strings.Cut(rest, "REVISION:")
	if !ok {
		return "", fmt.Errorf("no REVISION in %q", line)
	}
	rev, _, _ = strings.Cut(rev, ",")
	parts := strings.Split(strings.TrimSpace(rev), ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("revision %q in %q has more than two parts", rev, line)
	}
	nums := []int{major, 0, 0}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return "", fmt.Errorf("revision %q in %q: not a version", rev, line)
		}
		nums[i+1] = n
	}
	return fmt.Sprintf("%d.%d.%d", nums[0], nums[1], nums[2]), nil
}

// JetPackForL4T maps an L4T release to the JetPack that shipped it, from
// NVIDIA's release notes. An unlisted release of a known line gives "<n>.x";
// anything else gives "".
func JetPackForL4T(l4t string) string {
	switch l4t {
	case "32.6.1":
		return "4.6"
	case "32.7.1":
		return "4.6.1"
	case "32.7.2":
		return "4.6.2"
	case "32.7.3":
		return "4.6.3"
	case "32.7.4":
		return "4.6.4"
	case "32.7.5":
		return "4.6.5"
	case "32.7.6":
		return "4.6.6"
	case "34.1.0":
		return "5.0"
	case "34.1.1":
		return "5.0.1"
	case "35.1.0":
		return "5.0.2"
	case "35.2.1":
		return "5.1"
	case "35.3.1":
		return "5.1.1"
	case "35.4.1":
		return "5.1.2"
	case "35.5.0":
		return "5.1.3"
	case "35.6.0":
		return "5.1.4"
	case "36.2.0":
		return "6.0-dp"
	case "36.3.0":
		return "6.0"
	case "36.4.0":
		return "6.1"
	case "36.4.3":
		return "6.2"
	case "36.4.4":
		return "6.2.1"
	}
	major, _, _ := strings.Cut(l4t, ".")
	switch major {
	case "32":
		return "4.x"
	case "34", "35":
		return "5.x"
	case "36":
		return "6.x"
	case "38":
		return "7.x"
	}
	return ""
}
