package cpu

import (
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/edgevlm/edge/runtime"
)

// TestThreadCPU: threadCPU (on amd64 the per-CPU segment's limit, not a system call)
// names the CPU the thread is pinned to, on every CPU the process may use.
func TestThreadCPU(t *testing.T) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	var saved unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &saved))
	defer unix.SchedSetaffinity(0, &saved)
	for _, c := range allowedCPUs() {
		require.True(t, repinThread(0, c))
		require.Equal(t, c, threadCPU(), "pinned to CPU %d", c)
		require.Equal(t, c, getcpuSyscall(), "pinned to CPU %d", c)
	}
}

// TestWorkerLeavesTheDispatchersCPU puts the dispatching thread on the worker's CPU,
// as the kernel sometimes does and then keeps it there: the next operation (within 16
// where asking for the CPU is a system call) moves the worker to the CPU left free,
// so that the two do not take turns on one CPU.
func TestWorkerLeavesTheDispatchersCPU(t *testing.T) {
	if len(allowedCPUs()) < 2 {
		t.Skip("one CPU: nothing to move to")
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	var saved unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &saved))
	defer unix.SchedSetaffinity(0, &saved)

	be := New(2)
	defer be.Close()
	m, n, k := 64, 256, 64
	w := &runtime.Weight{Out: n, In: k, F32: make([]float32, n*k)}
	x := be.FromHost(make([]float32, m*k), m, k)
	out := make([]float32, m*n)
	op := func() { be.linear(x, runtime.Linear{W: w}, out, false, runtime.ActIdentity) }
	op() // starts the worker
	wk := be.pool.workers[0]
	require.Eventually(t, func() bool { return wk.cpu.Load() >= 0 }, 10*time.Second, time.Millisecond, "the worker never pinned itself")
	shared := int(wk.cpu.Load())

	require.True(t, repinThread(0, shared))
	require.Equal(t, shared, threadCPU())
	for range 16 {
		op()
	}
	moved := int(wk.cpu.Load())
	require.NotEqual(t, shared, moved, "the worker stayed on the dispatcher's CPU %d", shared)
	var set unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(int(wk.tid.Load()), &set))
	require.Equal(t, 1, set.Count())
	require.True(t, set.IsSet(moved), "the kernel has the worker on %v, the pool says CPU %d", set, moved)
}
