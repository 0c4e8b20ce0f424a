//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps f read-only. Writing through the returned slice faults, which
// is what we want: the bytes are the checkpoint on disk.
func mapFile(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }
