//go:build !amd64 && !arm64

package preprocess

func archKernels() []kernelSet { return nil }
