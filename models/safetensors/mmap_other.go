//go:build !unix

package safetensors

import (
	"errors"
	"os"
)

func mapFile(*os.File, int) ([]byte, error) { return nil, errors.New("mmap not available") }

func unmapFile([]byte) error { return nil }

var pageSize = 4096

func dropPages([]byte) {}
