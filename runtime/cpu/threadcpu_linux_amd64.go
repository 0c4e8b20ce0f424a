//go:build !purego

package cpu

// cheapThreadCPU says threadCPU costs nanoseconds, so that every operation can ask.
const cheapThreadCPU = true

// cpuSegment reads the limit of Linux's per-CPU segment (selector 0x7b, the one the
// vDSO's getcpu reads where RDPID is missing): the CPU number in its low 12 bits.
// ok is false where the selector is not valid.
func cpuSegment() (limit uint32, ok bool)

// threadCPU is the CPU the calling thread runs on (−1 if unknown).
func threadCPU() int {
	if v, ok := cpuSegment(); ok {
		return int(v & 0xfff)
	}
	return getcpuSyscall()
}
