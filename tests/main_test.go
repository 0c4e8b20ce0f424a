// Package tests holds the end-to-end tests: the real edge binary, a real mosquitto broker,
// real video files written through OpenCV, observed by a plain MQTT client as any consumer
// on the network would observe them.
package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// edgeBinary is where TestMain builds the edge command for this test process. It is
// derived from the process id, so that no package variable has to carry it.
func edgeBinary() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("edge-e2e-%d", os.Getpid()), "edge")
}

// TestMain builds the binary once (without -race: the tests time the real product) and
// removes it afterwards.
func TestMain(m *testing.M) {
	bin := edgeBinary()
	if err := buildEdge(bin); err != nil {
		fmt.Fprintf(os.Stderr, "tests: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(filepath.Dir(bin))
	os.Exit(code)
}

func buildEdge(bin string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("build edge: %w", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root, err := filepath.Abs("..") // go test runs in the package folder, tests/
	if err != nil {
		return fmt.Errorf("build edge: %w", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/edge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o %s ./cmd/edge in %s: %w\n%s", bin, root, err, out)
	}
	return nil
}
