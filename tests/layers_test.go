package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/edgevlm/edge"

// layers reads the package order of docs/architecture.md (the ```layers block, bottom
// first) into a rank per package.
func layers(t *testing.T) map[string]int {
	t.Helper()
	doc, err := os.ReadFile("../docs/architecture.md")
	require.NoError(t, err)
	rank := map[string]int{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```layers":
			in = true
		case in && line == "```":
			in = false
		case in && line != "":
			_, dup := rank[line]
			require.False(t, dup, "docs/architecture.md lists %s twice", line)
			rank[line] = len(rank)
		}
	}
	require.NotEmpty(t, rank, "docs/architecture.md has no ```layers block")
	return rank
}

// TestImportsPointDown: every import between the project's packages (test files aside)
// goes from a package to one below it in docs/architecture.md's order, and the list
// names exactly the packages there are.
func TestImportsPointDown(t *testing.T) {
	rank := layers(t)
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[string]bool{}
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Module     *struct{ Path string }
		}
		require.NoError(t, dec.Decode(&p))
		if p.Module == nil || p.Module.Path != modulePath {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, modulePath), "/")
		if name == "tests" {
			continue // tests only
		}
		seen[name] = true
		r, ok := rank[name]
		if !assertListed(t, name, ok) {
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, modulePath+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, modulePath+"/")
			dr, ok := rank[dep]
			if !assertListed(t, dep, ok) {
				continue
			}
			if dr >= r {
				t.Errorf("%s imports %s, which is not below it in docs/architecture.md", name, dep)
			}
		}
	}
	for name := range rank {
		if !seen[name] {
			t.Errorf("docs/architecture.md lists %s, which is no package of the module", name)
		}
	}
}

func assertListed(t *testing.T, name string, ok bool) bool {
	t.Helper()
	if !ok {
		t.Errorf("package %s is not in docs/architecture.md's layers: add it where it belongs", name)
	}
	return ok
}
