package jetson

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePowerMode(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want PowerMode
		err  string
	}{
		{"orin nano jetpack 5", "NV Power Mode: MODE_15W\n0\n", PowerMode{Name: "MODE_15W", ID: 0, Known: true}, ""},
		{"agx orin maxn", "NV Power Mode: MAXN\n0\n", PowerMode{Name: "MAXN", ID: 0, Known: true}, ""},
		{"with fan mode first", "NV Fan Mode:quiet\nNV Power Mode: 15W\n2\n", PowerMode{Name: "15W", ID: 2, Known: true}, ""},
		{"verbose", "NVPM VERB: Config file: /etc/nvpmodel.conf\nNVPM VERB: parsing done for /etc/nvpmodel.conf\n" +
			"NV Fan Mode:quiet\nNVPM VERB: Current mode: NV Power Mode: MODE_15W_6CORE\n2\n" +
			"NVPM VERB: PARAM CPU_ONLINE: ARG CORE_0: PATH /sys/devices/system/cpu/cpu0/online: REAL_VAL: 1 CONF_VAL: 1\n",
			PowerMode{Name: "MODE_15W_6CORE", ID: 2, Known: true}, ""},
		{"no id line", "NV Power Mode: 25W\n", PowerMode{Name: "25W", ID: -1, Known: true}, ""},
		{"not nvpmodel output", "command not found\n", PowerMode{}, "no \"NV Power Mode"},
		{"empty name", "NV Power Mode:\n0\n", PowerMode{}, "no \"NV Power Mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePowerMode(tt.out)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.Equal(t, UnknownPowerMode(), got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadPowerModeWithoutBinary(t *testing.T) {
	got, err := ReadPowerMode(context.Background(), "nvpmodel-that-does-not-exist")
	require.NoError(t, err)
	require.Equal(t, PowerMode{Name: "unknown", ID: -1}, got)
}

// fakeNvpmodel writes a shell script standing in for nvpmodel.
func fakeNvpmodel(t *testing.T, body string) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on this machine to stand in for nvpmodel")
	}
	path := filepath.Join(t.TempDir(), "nvpmodel")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755))
	return path
}

func TestReadPowerModeRunsBinary(t *testing.T) {
	bin := fakeNvpmodel(t, `[ "$1" = "-q" ] || { echo "want -q, got $*" >&2; exit 2; }
printf 'NV Power Mode: MODE_15W\n1\n'
`)
	got, err := ReadPowerMode(context.Background(), bin)
	require.NoError(t, err)
	require.Equal(t, PowerMode{Name: "MODE_15W", ID: 1, Known: true}, got)
}

func TestReadPowerModeFailure(t *testing.T) {
	bin := fakeNvpmodel(t, "echo 'NVPM ERROR: failed to read PARAM' >&2\nexit 1\n")
	got, err := ReadPowerMode(context.Background(), bin)
	require.ErrorContains(t, err, "NVPM ERROR: failed to read PARAM")
	require.Equal(t, UnknownPowerMode(), got)
}
