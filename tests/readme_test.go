package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// nestedEnv marks the `make test` that this test runs inside its clone, so that the
// clone's copy of this test does not clone again.
const nestedEnv = "EDGE_README_TEST_NESTED"

// TestReadmeCommands clones the repository into a temporary folder and runs the two
// commands the README gives there, as a newcomer would: the demo (bounded in time) and
// the test suite.
func TestReadmeCommands(t *testing.T) {
	if os.Getenv(nestedEnv) != "" {
		t.Skip("running inside the README test's own clone")
	}
	if os.Getenv("EDGE_README_TEST") == "" {
		t.Skip("set EDGE_README_TEST=1 (make test does) to clone the repository and run the README's commands")
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	// The two commands are the first shell block under "## Two commands".
	block := regexp.MustCompile("(?s)## Two commands.*?```sh\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, block, "README has a '## Two commands' section with a sh block")
	var commands []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		if cmd := strings.TrimSpace(strings.SplitN(line, "#", 2)[0]); cmd != "" {
			commands = append(commands, cmd)
		}
	}
	require.Equal(t, []string{"make demo", "make test"}, commands)

	root, err := exec.Command("git", "-C", "..", "rev-parse", "--show-toplevel").Output()
	require.NoError(t, err)
	clone := filepath.Join(t.TempDir(), "edge")
	out, err := exec.Command("git", "clone", "--quiet", strings.TrimSpace(string(root)), clone).CombinedOutput()
	require.NoError(t, err, string(out))

	limits := map[string]time.Duration{"make demo": 5 * time.Minute, "make test": 25 * time.Minute}
	for _, c := range commands {
		ctx, cancel := context.WithTimeout(context.Background(), limits[c])
		cmd := exec.CommandContext(ctx, "sh", "-c", c)
		cmd.Dir = clone
		cmd.Env = append(os.Environ(), nestedEnv+"=1")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		cancel()
		tail := string(out)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		require.NoError(t, err, "%s failed after %s:\n%s", c, time.Since(start).Round(time.Second), tail)
		t.Logf("%s: ok in %s", c, time.Since(start).Round(time.Second))
		if c == "make demo" {
			require.Contains(t, string(out), "captions published")
			require.Regexp(t, `caption 1 ✓`, string(out))
		}
	}
}
