package cpu

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// yieldThread gives the OS thread's CPU to another runnable thread, if any.
func yieldThread() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

// allowedCPUs lists the CPUs the calling thread may run on (nil if unknown).
func allowedCPUs() []int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return nil
	}
	var cpus []int
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// pinThread binds the calling goroutine's thread (locked to it by the caller) to one
// CPU: worker i gets the (i+1)-th of cpus, leaving the first to the goroutine that
// dispatches. Unpinned, the kernel tends to wake a worker on its waker's CPU after an
// idle pause (wake-affine placement), and a spinning worker then halves the speed of
// the goroutine it waits for until the load balancer separates them, milliseconds
// later: every camera frame would start that way. It returns the thread's id and
// its CPU, −1 when it stays unpinned (one CPU, or the kernel refused).
func pinThread(i int, cpus []int) (tid, cpu int) {
	tid = unix.Gettid()
	if len(cpus) < 2 {
		return tid, -1
	}
	c := cpus[(i+1)%len(cpus)]
	if !repinThread(tid, c) {
		return tid, -1
	}
	return tid, c
}

// repinThread binds thread tid of this process to cpu.
func repinThread(tid, cpu int) bool {
	var one unix.CPUSet
	one.Set(cpu)
	return unix.SchedSetaffinity(tid, &one) == nil
}

// getcpuSyscall is the CPU the calling thread runs on, from the getcpu system call
// (about a microsecond in a VM), or −1.
func getcpuSyscall() int {
	var c, node uint32
	if _, _, e := syscall.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&c)), uintptr(unsafe.Pointer(&node)), 0); e != 0 {
		return -1
	}
	return int(c)
}
