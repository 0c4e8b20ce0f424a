package memory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeRoot writes the files Detect reads under a temporary root.
func fakeRoot(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

const fakeMeminfo = "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n"

const hybridMounts = `31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		bytes  int64
		source string
	}{
		{"v1 limit on the process's cgroup", map[string]string{
			"proc/self/cgroup":    "4:memory:/edge/run\n1:cpu:/\n0::/\n",
			"proc/self/mountinfo": hybridMounts,
			"sys/fs/cgroup/memory/edge/run/memory.limit_in_bytes": "7000000000\n",
			"sys/fs/cgroup/memory/edge/memory.limit_in_bytes":     "9223372036854771712\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":          "9223372036854771712\n",
		}, 7e9, "cgroup memory.limit_in_bytes of /edge/run"},
		{"v1 limit on a parent is smaller", map[string]string{
			"proc/self/cgroup":    "4:memory:/edge/run\n",
			"proc/self/mountinfo": hybridMounts,
			"sys/fs/cgroup/memory/edge/run/memory.limit_in_bytes": "7000000000\n",
			"sys/fs/cgroup/memory/edge/memory.limit_in_bytes":     "5000000000\n",
		}, 5e9, "cgroup memory.limit_in_bytes of /edge"},
		{"v2 memory.max", map[string]string{
			"proc/self/cgroup":    "0::/system.slice/edge.service\n",
			"proc/self/mountinfo": "25 22 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/system.slice/edge.service/memory.max": "6442450944\n",
			"sys/fs/cgroup/system.slice/memory.max":              "max\n",
		}, 6442450944, "cgroup memory.max of /system.slice/edge.service"},
		{"v2 in a container (the mount's root is the process's cgroup)", map[string]string{
			"proc/self/cgroup":         "0::/kubepods/pod1\n",
			"proc/self/mountinfo":      "25 22 0:23 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/memory.max": "4000000000\n",
		}, 4e9, "cgroup memory.max of /kubepods/pod1"},
		{"no limit: MemAvailable", map[string]string{
			"proc/self/cgroup":    "4:memory:/edge\n0::/\n",
			"proc/self/mountinfo": hybridMounts,
			"sys/fs/cgroup/memory/edge/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/unified/memory.max":                "max\n",
		}, 20000000 << 10, "MemAvailable"},
		{"a limit above the machine's memory is none", map[string]string{
			"proc/self/cgroup":             "0::/big\n",
			"proc/self/mountinfo":          "25 22 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/big/memory.max": "64000000000\n",
		}, 20000000 << 10, "MemAvailable"},
		{"no cgroup files at all", map[string]string{}, 20000000 << 10, "MemAvailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.files["proc/meminfo"] = fakeMeminfo
			b, err := detect(fakeRoot(t, tc.files))
			require.NoError(t, err)
			require.Equal(t, tc.bytes, b.Bytes)
			require.Equal(t, tc.source, b.Source)
		})
	}
}

func TestDetectWithoutMeminfo(t *testing.T) {
	_, err := detect(t.TempDir())
	require.ErrorContains(t, err, "meminfo")
}

// The running process gets a positive budget no larger than the machine.
func TestDetectHere(t *testing.T) {
	b, err := Detect()
	require.NoError(t, err)
	total, _, err := meminfo("/proc/meminfo")
	require.NoError(t, err)
	require.Positive(t, b.Bytes)
	require.LessOrEqual(t, b.Bytes, total)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"7G": 7e9, "7GB": 7e9, "7gb": 7e9, "7000M": 7e9, "7000MB": 7e9, "7GiB": 7 << 30,
		"6.5GiB": 6.5 * (1 << 30), "512MiB": 512 << 20, "1T": 1e12, "123456": 123456, " 7 G ": 7e9, "100k": 1e5,
	} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "G", "7X", "7 gigs", "-1G", "0", "0G", "1.2.3G", "7GG", "1e3G", "99999999T"} {
		_, err := ParseSize(in)
		require.Error(t, err, in)
		require.Contains(t, err.Error(), "size "+`"`+in+`"`)
	}
}

func TestSize(t *testing.T) {
	require.Equal(t, "7.0 GB", Size(7e9))
	require.Equal(t, "512 MB", Size(512e6))
}
