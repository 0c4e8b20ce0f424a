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

var pageSize = os.Getpagesize()

// dropPages drops the resident pages of b, a page-aligned part of a read-only shared
// mapping; they are read from the file again if touched.
func dropPages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
