package quant_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/quant"
)

// The streamed checkpoint, cut into many small shards, holds exactly what quantizing
// each whole tensor gives, and the kept tensors' bytes unchanged; the input is unmapped
// before Verify runs.
func TestWriteCheckpointStreamsExactly(t *testing.T) {
	src, err := filepath.Abs("../testdata/tiny-opt/model")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "int8")
	plan := quant.Plan{Role: func(name string, shape []int) quant.Role {
		if len(shape) == 2 && strings.HasSuffix(name, ".weight") {
			return quant.WeightOnly
		}
		return quant.Keep
	}}
	verified := false
	rep, err := quant.WriteCheckpoint(context.Background(), src, out, quant.Options{Plan: plan, ShardBytes: 64 << 10,
		Verify: func(string) error {
			maps, err := os.ReadFile("/proc/self/maps")
			if err == nil {
				require.NotContains(t, string(maps), src, "the input is still mapped")
			}
			verified = true
			return nil
		}})
	require.NoError(t, err)
	require.True(t, verified)

	in, err := safetensors.Open(src)
	require.NoError(t, err)
	defer in.Close()
	got, err := safetensors.Open(out)
	require.NoError(t, err)
	defer got.Close()
	shards := map[string]bool{}
	for _, n := range in.Names() {
		info, _ := in.Info(n)
		stored, ok := got.Info(n)
		require.True(t, ok, n)
		shards[stored.File] = true
		if plan.Role(n, info.Shape) == quant.Keep {
			want, err := in.Bytes(n)
			require.NoError(t, err)
			have, err := got.Bytes(n)
			require.NoError(t, err)
			require.Equal(t, want, have, n)
			continue
		}
		w, err := in.Float32(n)
		require.NoError(t, err)
		q, scales := quant.QuantizeRows(w, info.Shape[0], info.Shape[1])
		haveQ, err := got.Int8(n)
		require.NoError(t, err)
		require.Equal(t, q, haveQ, n)
		haveScales, err := got.Float32(strings.TrimSuffix(n, ".weight") + ".weight_scale")
		require.NoError(t, err)
		require.Equal(t, scales, haveScales, n)
	}
	require.Greater(t, len(shards), 2, "small shards")
	require.Equal(t, len(in.Names()), rep.Tensors)
}
