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

// TestArm64KernelsUnderQemu cross-builds runtime/kernels's tests for arm64 and runs
// them under qemu-user (which has the dot-product extension): every NEON and SDOT
// kernel against the portable reference.
func TestArm64KernelsUnderQemu(t *testing.T) {
	if os.Getenv(nestedEnv) != "" {
		// A minute of qemu that the outer make test has run on the same code.
		t.Skip("run by the outer make test")
	}
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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, bin, "-test.v")
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "testing [portable arm64-neon arm64-neon-dotprod]")
	require.Contains(t, string(out), "--- PASS: TestGemvI8Q8 ")
	require.Contains(t, string(out), "--- PASS: TestGemvQ4F32 ")
}
