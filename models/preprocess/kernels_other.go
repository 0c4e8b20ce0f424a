//go:build !amd64

package preprocess

func archKernels() []kernelSet { return nil }
