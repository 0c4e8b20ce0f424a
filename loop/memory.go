package loop

import "runtime/metrics"

// memorySamples are the Go runtime's own memory figures: the heap live after the last
// collection (heap objects would include garbage not yet swept, and swing with every
// cycle) and all the memory the runtime holds from the system. Beside the process's resident size they
// tell whether growth is in Go's heap or outside it (OpenCV, FFmpeg, C allocators).
var memorySamples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/total:bytes"},
}

// addMemory puts go_heap_bytes and go_total_bytes into a status's stats.
func addMemory(stats map[string]any) {
	s := make([]metrics.Sample, len(memorySamples))
	copy(s, memorySamples)
	metrics.Read(s)
	for i, key := range []string{"go_heap_bytes", "go_total_bytes"} {
		if s[i].Value.Kind() == metrics.KindUint64 {
			stats[key] = s[i].Value.Uint64()
		}
	}
}
