package runtime_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Model code cannot reach a tensor's values: runtime.Tensor has no exported field that
// holds them, and their accessors live in runtime/internal/tensorcore, which Go lets only
// packages under runtime/ import. These tests show the check bites: probe files placed
// into models/opt through `go build -overlay` (nothing is written into the tree) that
// read values fail to compile with the compiler's own reasons, while a probe that uses
// only the backend compiles; and only the backends (the TFLite recorder among them)
// import tensorcore.

const tensorcorePath = "github.com/edgevlm/edge/runtime/internal/tensorcore"

func buildProbe(t *testing.T, src string) (string, error) {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe.go")
	require.NoError(t, os.WriteFile(probe, []byte(src), 0o644))
	overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "models", "opt", "zz_probe.go"): probe}})
	require.NoError(t, err)
	ov := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(ov, overlay, 0o644))
	cmd := exec.Command("go", "build", "-overlay", ov, "./models/opt")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestModelCodeCannotTouchHostValues(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	const header = "package opt\n\nimport \"github.com/edgevlm/edge/runtime\"\n\n"
	out, err := buildProbe(t, header+"func probe(be runtime.Backend, t *runtime.Tensor) []float32 { return be.Host(t, nil) }\n")
	require.NoError(t, err, "the control probe (values through the backend) must compile: %s", out)

	for _, c := range []struct{ name, src, reason string }{
		{"a field", header + "func probe(t *runtime.Tensor) []float32 { return t.Data }\n", "t.Data undefined"},
		{"the unexported storage", header + "func probe(t *runtime.Tensor) []float32 { return t.host }\n", "t.host undefined"},
		{"the internal accessors", "package opt\n\nimport tc \"" + tensorcorePath + "\"\n\nvar probe = tc.Host\n", "use of internal package"},
	} {
		out, err := buildProbe(t, c.src)
		require.Error(t, err, "model code reaching host values through %s compiled", c.name)
		require.Contains(t, out, c.reason, c.name)
	}
}

func TestOnlyBackendsImportTensorStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	require.NoError(t, err)
	allowed := map[string]bool{"github.com/edgevlm/edge/runtime": true, "github.com/edgevlm/edge/runtime/cpu": true,
		"github.com/edgevlm/edge/runtime/cuda": true, "github.com/edgevlm/edge/runtime/tflite": true} // the backends
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.Fields(strings.NewReplacer("[", " ", "_test", "", ".test", "").Replace(fields[0]))[0]
		for _, imp := range fields[1:] {
			if imp == tensorcorePath {
				seen++
				require.True(t, allowed[pkg], "%s imports the tensor storage; only runtime and its backends may", pkg)
			}
		}
	}
	require.Positive(t, seen, "the backends import tensorcore (is the import path right?)")
}
