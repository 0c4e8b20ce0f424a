package blip2

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime/cpu"
)

// The weights Need counts from the headers are what loading then keeps, to the byte:
// float, quantized on load, and an int8 folder.
func TestNeedCountsTheWeightsLoadKeeps(t *testing.T) {
	be := cpu.New(1)
	defer be.Close()
	folder := filepath.Join(t.TempDir(), "int8")
	_, err := quant.WriteCheckpoint(context.Background(), testdata+"/tiny-opt/model", folder, quant.Options{Plan: QuantPlan(false)})
	require.NoError(t, err)
	for _, tc := range []struct {
		dir  string
		int8 bool
	}{{testdata + "/tiny-opt/model", false}, {testdata + "/tiny-opt/model", true}, {folder, false}} {
		ck, err := Inspect(tc.dir)
		require.NoError(t, err)
		need := ck.Need(NeedOptions{Int8: tc.int8})
		m, err := Load(tc.dir, Options{Backend: be, Int8: tc.int8})
		require.NoError(t, err)
		require.Equal(t, m.WeightBytes, need.Weights, "%s, int8 %v", tc.dir, tc.int8)
		require.NoError(t, m.Close())
		require.Equal(t, 2*need.Weights, ck.Need(NeedOptions{Int8: tc.int8, DeviceCopy: true}).Weights)
	}
}

// For blip2-opt-2.7b (headers only: a folder of the real config whose tensors are
// described, not stored, is too large for the repository, so the sizes come from the
// dry run): int8 keeps about a quarter of fp32, and the cache at the full context of
// 2048 is 32 layers × 2 × 2048 × 2560 floats.
func TestNeedOfTheFullSizeModel(t *testing.T) {
	ck := fullSizeCheckpoint(t, testdata+"/real-configs/blip2-opt-2.7b")
	f32, i8 := ck.Need(NeedOptions{}), ck.Need(NeedOptions{Int8: true})
	require.Equal(t, WeightBytes(ck.Config, false, false), f32.Weights)
	require.Equal(t, WeightBytes(ck.Config, true, false), i8.Weights)
	require.Equal(t, int64(32*2*2048*2560*4), f32.KVCache)
	require.Zero(t, f32.Loading, "fp32 matrices are used in place")
	require.Equal(t, int64(ck.Config.Text.VocabSize*2560*4), i8.Loading, "the largest tensor quantized: the token embeddings")
	require.Greater(t, f32.Total(), int64(15e9))
	require.Less(t, i8.Total(), int64(6e9))
	require.Equal(t, int64(32*2*512*2560*4), ck.Need(NeedOptions{ContextLength: 512}).KVCache)
}

// fullSizeCheckpoint describes a checkpoint with every tensor of dir's config stored
// in float32, as Inspect would from its headers.
func fullSizeCheckpoint(t *testing.T, dir string) *Checkpoint {
	cfg, err := hfconfig.Load(dir)
	require.NoError(t, err)
	ck := &Checkpoint{Dir: dir, Config: cfg, stored: map[string]storedTensor{}}
	for _, s := range ExpectedTensors(cfg) {
		n := int64(4)
		for _, d := range s.Shape {
			n *= int64(d)
		}
		ck.stored[s.Name] = storedTensor{"F32", n}
	}
	return ck
}
