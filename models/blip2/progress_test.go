package blip2

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime/cpu"
)

// Loading reports its progress in stored bytes, rising to the whole, for float and
// int8 checkpoints and for quantizing on load.
func TestLoadReportsProgress(t *testing.T) {
	be := cpu.New(1)
	defer be.Close()
	folder := filepath.Join(t.TempDir(), "int8")
	_, err := quant.WriteCheckpoint(context.Background(), testdata+"/tiny-opt/model", folder, quant.Options{Plan: QuantPlan(false)})
	require.NoError(t, err)
	for _, tc := range []struct {
		dir  string
		int8 bool
	}{{testdata + "/tiny-opt/model", false}, {testdata + "/tiny-opt/model", true}, {folder, false}} {
		int8 := tc.int8
		var calls int
		var last, total int64
		m, err := Load(tc.dir, Options{Backend: be, Int8: int8, Progress: func(done, all int64) {
			require.GreaterOrEqual(t, done, last, "progress went back")
			calls, last, total = calls+1, done, all
		}})
		require.NoError(t, err)
		m.Close()
		require.Positive(t, total)
		require.Equal(t, total, last, "%s, int8 %v: loading ends at the whole", tc.dir, int8)
		require.Greater(t, calls, 10)
	}
}
