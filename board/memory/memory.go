// Package memory says how much memory this process may take, and reads sizes such as
// 7G, 7GB, 7000M or 6.5GiB.
//
// The budget is the memory cgroup's limit where one is set (cgroup v2 memory.max, v1
// memory.limit_in_bytes, the smallest along the process's own cgroup and its parents):
// that is the line past which the kernel kills the process, whatever the machine has
// free (a systemd unit's MemoryMax=, a container's --memory). Without one it is the
// machine's MemAvailable: what can be had now without swapping or killing anything,
// which counts the page cache the kernel can drop; MemTotal would count what other
// programs (and on a Jetson, the OS and desktop) already hold.
//
// Its room in docs/architecture.md: devices and transports: imports nothing of the project.
package memory

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Budget is how much memory the process may take and where that figure comes from.
type Budget struct {
	Bytes  int64
	Source string // e.g. "cgroup v1 limit of /edge", "MemAvailable"
}

func (b Budget) String() string { return fmt.Sprintf("%s (%s)", Size(b.Bytes), b.Source) }

// Detect reads the budget of the running process from /proc and /sys.
func Detect() (Budget, error) { return detect("/") }

// detect reads the files under root (a test's fake tree, or "/").
func detect(root string) (Budget, error) {
	total, avail, err := meminfo(filepath.Join(root, "proc", "meminfo"))
	if err != nil {
		return Budget{}, err
	}
	if limit, where, ok := cgroupLimit(root); ok && limit < total {
		return Budget{limit, where}, nil
	}
	return Budget{avail, "MemAvailable"}, nil
}

// meminfo reads MemTotal and MemAvailable in bytes.
func meminfo(path string) (total, avail int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "MemTotal:":
			total = kb << 10
		case "MemAvailable:":
			avail = kb << 10
		}
	}
	if total == 0 || avail == 0 {
		return 0, 0, fmt.Errorf("memory: %s has no MemTotal or MemAvailable", path)
	}
	return total, avail, nil
}

// cgroupLimit is the smallest memory limit set on the process's cgroup or a parent of
// it, v2 or v1, and the file it comes from.
func cgroupLimit(root string) (int64, string, bool) {
	paths, err := ownCgroups(filepath.Join(root, "proc", "self", "cgroup"))
	if err != nil {
		return 0, "", false
	}
	mounts, err := cgroupMounts(filepath.Join(root, "proc", "self", "mountinfo"))
	if err != nil {
		return 0, "", false
	}
	best, where := int64(math.MaxInt64), ""
	for _, m := range mounts {
		own, ok := paths[m.hierarchy]
		if !ok {
			continue
		}
		rel, ok := strings.CutPrefix(own, m.root)
		if !ok || m.root != "/" && rel != "" && rel[0] != '/' {
			continue // the cgroup is outside what this mount shows
		}
		file := "memory.limit_in_bytes"
		if m.hierarchy == "" {
			file = "memory.max"
		}
		// The limit of every cgroup from ours up to the mount's root applies.
		for dir := filepath.Clean("/" + rel); ; dir = filepath.Dir(dir) {
			if n, ok := readLimit(filepath.Join(root, m.point, dir, file)); ok && n < best {
				best, where = n, fmt.Sprintf("cgroup %s of %s", file, filepath.Join(m.root, dir))
			}
			if dir == "/" {
				break
			}
		}
	}
	return best, where, where != ""
}

// readLimit reads a limit file: a byte count, "max" (v2) or a huge number (v1) for
// none.
func readLimit(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= math.MaxInt64/2 {
		return 0, false
	}
	return n, true
}

// ownCgroups maps each hierarchy holding the memory controller to the process's cgroup
// in it: "memory" for v1, "" for the v2 unified hierarchy.
func ownCgroups(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			out[""] = parts[2]
		case hasController(parts[1], "memory"):
			out["memory"] = parts[2]
		}
	}
	return out, nil
}

func hasController(list, want string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == want {
			return true
		}
	}
	return false
}

// mount is where a cgroup hierarchy is mounted and which cgroup is its root there.
type mount struct {
	hierarchy string // "memory" (v1) or "" (v2)
	root      string
	point     string
}

// cgroupMounts lists the v1 memory and the v2 mounts of /proc/self/mountinfo.
func cgroupMounts(path string) ([]mount, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []mount
	for _, line := range strings.Split(string(b), "\n") {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		switch {
		case g[0] == "cgroup2":
			out = append(out, mount{"", f[3], f[4]})
		case g[0] == "cgroup" && hasController(g[2], "memory"):
			out = append(out, mount{"memory", f[3], f[4]})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("memory: no cgroup mount")
	}
	return out, nil
}
