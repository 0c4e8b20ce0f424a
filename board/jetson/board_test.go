package jetson

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDetectFixtures(t *testing.T) {
	tests := []struct {
		root string
		want Board
	}{
		{"testdata/orin-nano", Board{
			Model:      "NVIDIA Jetson Orin Nano Developer Kit",
			Compatible: []string{"nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005", "nvidia,tegra234"},
			Module:     ModuleOrinNano, L4T: "36.4.3", JetPack: "6.2", IsJetson: true,
		}},
		{"testdata/agx-orin", Board{
			Model:      "Jetson AGX Orin",
			Compatible: []string{"nvidia,p3737-0000+p3701-0005", "nvidia,p3701-0005", "nvidia,tegra234", "nvidia,tegra23x"},
			Module:     ModuleAGXOrin, L4T: "35.4.1", JetPack: "5.1.2", IsJetson: true,
		}},
		{"testdata/pc", Board{Model: "Standard PC (Q35 + ICH9, 2009)", Module: ModuleUnknown}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.root), func(t *testing.T) {
			got, err := Detect(tt.root)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// writeTree makes a fake root from path → content.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		full := filepath.Join(root, path)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	return root
}

func TestDetectModules(t *testing.T) {
	tests := []struct {
		name       string
		model      string
		compatible string
		release    string
		module     Module
		isJetson   bool
	}{
		{"raspberry pi is not a jetson", "Raspberry Pi 4 Model B Rev 1.4\x00", "raspberrypi,4-model-b\x00brcm,bcm2711\x00", "", ModuleUnknown, false},
		{"orin nx 16GB on the orin nano carrier", "NVIDIA Jetson Orin NX Engineering Reference Developer Kit\x00",
			"nvidia,p3768-0000+p3767-0000\x00nvidia,p3767-0000\x00nvidia,tegra234\x00", "", ModuleOrinNX, true},
		{"orin nano super", "NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super\x00",
			"nvidia,p3768-0000+p3767-0005-super\x00nvidia,p3767-0005\x00nvidia,tegra234\x00", "", ModuleOrinNano, true},
		{"xavier nx", "NVIDIA Jetson Xavier NX Developer Kit\x00", "nvidia,p3509-0000+p3668-0000\x00nvidia,tegra194\x00", "", ModuleXavierNX, true},
		{"agx xavier", "Jetson-AGX\x00", "nvidia,p2972-0000\x00nvidia,tegra194\x00", "", ModuleAGXXavier, true},
		{"nano", "NVIDIA Jetson Nano Developer Kit\x00", "nvidia,jetson-nano\x00nvidia,tegra210\x00",
			"# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n", ModuleNano, true},
		{"model string only", "NVIDIA Jetson AGX Orin Developer Kit\x00", "", "", ModuleAGXOrin, true},
		{"tx2 is a jetson of no listed family", "quill\x00", "nvidia,p2771-0000\x00nvidia,tegra186\x00", "", ModuleUnknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"proc/device-tree/model": tt.model}
			if tt.compatible != "" {
				files["proc/device-tree/compatible"] = tt.compatible
			}
			if tt.release != "" {
				files["etc/nv_tegra_release"] = tt.release
			}
			b, err := Detect(writeTree(t, files))
			require.NoError(t, err)
			require.Equal(t, tt.module, b.Module)
			require.Equal(t, tt.isJetson, b.IsJetson)
		})
	}
}

func TestDetectBadRelease(t *testing.T) {
	root := writeTree(t, map[string]string{"etc/nv_tegra_release": "R35 something else\n"})
	_, err := Detect(root)
	require.ErrorContains(t, err, "nv_tegra_release")
}

func TestDetectThisMachine(t *testing.T) {
	// Whatever this machine is, detection must not fail on it.
	_, err := Detect("")
	require.NoError(t, err)
}

func TestParseL4TRelease(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64", want: "35.4.1"},
		{in: "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic\n# KERNEL_VARIANT: oot\n", want: "36.4.3"},
		{in: "# R32 (release), REVISION: 7.1, GCID: 29818004", want: "32.7.1"},
		{in: "# R36 (release), REVISION: 4, GCID: 1", want: "36.4.0"},
		{in: "Ubuntu 22.04.4 LTS", err: "no \"# R<major>\""},
		{in: "# Rx (release), REVISION: 4.1", err: "release major"},
		{in: "# R35 (release), GCID: 1", err: "no REVISION"},
		{in: "# R35 (release), REVISION: 4.a", err: "not a version"},
		{in: "# R35 (release), REVISION: 4.1.2", err: "more than two parts"},
	}
	for _, tt := range tests {
		got, err := ParseL4TRelease(tt.in)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestJetPackForL4T(t *testing.T) {
	for l4t, want := range map[string]string{
		"32.7.1": "4.6.1", "35.4.1": "5.1.2", "35.5.0": "5.1.3", "36.3.0": "6.0",
		"36.4.0": "6.1", "36.4.3": "6.2", "36.4.4": "6.2.1",
		"36.9.9": "6.x", "35.9.0": "5.x", "99.1.0": "", "": "",
	} {
		require.Equal(t, want, JetPackForL4T(l4t), l4t)
	}
}
