//go:build !linux

package cpu

import goruntime "runtime"

func yieldThread() { goruntime.Gosched() }

// pinThread does nothing where thread affinity is not set through Linux's calls.
func pinThread(int) {}
