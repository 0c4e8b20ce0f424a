package cpu

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// yieldThread gives the OS thread's CPU to another runnable thread, if any.
func yieldThread() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

// pinThread binds the calling goroutine's thread (locked to it by the caller) to one
// CPU: worker i gets the (i+1)-th CPU the process may use, leaving the first to the
// goroutine that dispatches. Unpinned, the kernel tends to wake a worker on its
// waker's CPU after an idle pause (wake-affine placement), and a spinning worker then
// halves the speed of the goroutine it waits for until the load balancer separates
// them, milliseconds later: every camera frame would start that way.
func pinThread(i int) {
	var allowed unix.CPUSet
	if unix.SchedGetaffinity(0, &allowed) != nil || allowed.Count() < 2 {
		return
	}
	want := (i + 1) % allowed.Count()
	for c, seen := 0, 0; c < len(allowed)*64; c++ {
		if !allowed.IsSet(c) {
			continue
		}
		if seen == want {
			var one unix.CPUSet
			one.Set(c)
			_ = unix.SchedSetaffinity(0, &one) // best effort: unpinned still works
			return
		}
		seen++
	}
}
