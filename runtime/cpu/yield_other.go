//go:build !linux

package cpu

import goruntime "runtime"

func yieldThread() { goruntime.Gosched() }

// Thread affinity is set through Linux's calls only: elsewhere workers stay unpinned.

func allowedCPUs() []int { return nil }

func pinThread(int, []int) (tid, cpu int) { return 0, -1 }

func repinThread(tid, cpu int) bool { return false }

const cheapThreadCPU = true

func threadCPU() int { return -1 }
