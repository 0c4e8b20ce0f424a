package tests

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestArm64BuildCaptionsUnderQemu cross-builds edge for the Jetson's arm64 (no cgo: the
// NEON and SDOT kernels, the purego loader) and runs it under qemu-user: fp32 and int8
// captions must equal transformers' golden text.
func TestArm64BuildCaptionsUnderQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not installed (scripts/install-deps.sh installs qemu-user)")
	}
	sysroot := "/usr/aarch64-linux-gnu"
	if _, err := os.Stat(filepath.Join(sysroot, "lib", "ld-linux-aarch64.so.1")); err != nil {
		t.Skip("no arm64 C library for qemu (scripts/install-deps.sh installs libc6-arm64-cross)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "edge-arm64")
	build := exec.Command("go", "build", "-o", bin, "./cmd/edge")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// The int8 checkpoint is written by the native binary; the arm64 one reads it.
	int8Dir := filepath.Join(dir, "shapes-int8")
	out, err = exec.Command(edgeBinary(), "quantize", "embedded", int8Dir).CombinedOutput()
	require.NoError(t, err, string(out))

	raw, err := os.ReadFile("../testdata/demo/manifest.json")
	require.NoError(t, err)
	var manifest struct {
		Cases []struct {
			Image, Prompt string
			GreedyText    string `json:"greedy_text"`
		}
	}
	require.NoError(t, json.Unmarshal(raw, &manifest))
	want := map[string]string{}
	for _, c := range manifest.Cases {
		// Four scenes keep this under half a minute: qemu runs the kernels ~100× slower.
		if c.Prompt == "" && c.Image >= "scene00" && c.Image < "scene04" {
			want[c.Image] = c.GreedyText
		}
	}
	for _, model := range []string{"", int8Dir} {
		for image, text := range want {
			args := []string{"-L", sysroot, bin, "caption", filepath.Join("../testdata/demo/images", image)}
			if model != "" {
				args = append(args, "--model", model)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, qemu, args...)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+dir)
			out, err := cmd.CombinedOutput()
			cancel()
			require.NoError(t, err, string(out))
			require.Equal(t, text, strings.TrimSpace(string(out)), "%s (model %q)", image, model)
		}
	}
}
