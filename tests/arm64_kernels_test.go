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

// TestArm64KernelsUnderQemu cross-builds runtime/kernels' tests for arm64 and runs the
// weight-only ones (int8 and int4 GEMV) under qemu-user: the NEON kernels against the
// references on random shapes with tails.
func TestArm64KernelsUnderQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not installed (scripts/install-deps.sh installs qemu-user)")
	}
	bin := filepath.Join(t.TempDir(), "kernels-arm64.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./runtime/kernels")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, bin, "-test.run", "GemvI8F32|Q4", "-test.v")
	cmd.Dir = "../runtime/kernels"
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "--- PASS: TestGemvQ4F32")
}
