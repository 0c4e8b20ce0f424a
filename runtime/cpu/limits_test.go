package cpu

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/runtime/kernels"
)

func TestMeasureLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the machine for about a second")
	}
	l, err := MeasureLimits(t.Context(), 2)
	require.NoError(t, err)
	t.Logf("%+v", l)
	require.Equal(t, 2, l.Threads)
	require.Greater(t, l.CopyGBs, 0.1)
	require.Greater(t, l.ReadGBs, 0.1)
	read, err := ReadGBs(t.Context(), make([]float32, ReadBytes/4), 2)
	require.NoError(t, err)
	require.Greater(t, read, 0.1)
	if kernels.PeakF32(1) > 0 {
		require.Greater(t, l.PeakF32, 1.0)
	}
}
