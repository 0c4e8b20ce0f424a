//go:build !tflite || !cgo

package tflite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithoutTagSaysHowToBuild(t *testing.T) {
	_, err := Open("model.tflite", Config{})
	require.ErrorIs(t, err, ErrNotBuilt)
	require.Contains(t, err.Error(), "-tags tflite")
	require.ErrorIs(t, LoadLibrary(Config{}), ErrNotBuilt)
	var e Engine
	_, err = e.Run(context.Background(), nil)
	require.ErrorIs(t, err, ErrNotBuilt)
}
