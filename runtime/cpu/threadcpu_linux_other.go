//go:build linux && (!amd64 || purego)

package cpu

// cheapThreadCPU is false: threadCPU is a system call here, so the pool asks only
// every few operations.
const cheapThreadCPU = false

// threadCPU is the CPU the calling thread runs on (−1 if unknown).
func threadCPU() int { return getcpuSyscall() }
