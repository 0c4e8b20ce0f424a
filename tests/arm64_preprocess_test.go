package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestArm64PreprocessUnderQemu cross-builds models/preprocess's tests for arm64
// and runs them under qemu-user: the NEON resize and RGBA kernels against the
// portable ones, the reference resize and PIL's goldens.
func TestArm64PreprocessUnderQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not installed (scripts/install-deps.sh installs qemu-user)")
	}
	bin := filepath.Join(t.TempDir(), "preprocess-arm64.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./models/preprocess")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, bin, "-test.run", "Kernels|Golden|Threads|RGBX|Resize", "-test.v")
	cmd.Dir = "../models/preprocess" // the goldens are found from there
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "in use: neon")
}
