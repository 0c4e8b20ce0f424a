//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// cpuNow is the CPU time this process has used. The benchmarks divide work by it
// as well as by wall time: on a machine shared with other jobs, wall time also
// counts the time the benchmark waited for a core.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
