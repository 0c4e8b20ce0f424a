package blip2

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

func TestRandomStoreValues(t *testing.T) {
	cfg, err := hfconfig.Load(filepath.Join(testdata, "tiny-opt/model"))
	require.NoError(t, err)
	a, b := NewRandomStore(cfg, false, false), NewRandomStore(cfg, false, false)
	name := "language_model.model.decoder.layers.0.fc1.weight"
	shape, dtype, ok := a.Lookup(name)
	require.True(t, ok)
	require.Equal(t, "F32", dtype)
	x, err := a.Float32(name)
	require.NoError(t, err)
	y, err := b.Float32(name)
	require.NoError(t, err)
	require.Equal(t, shape[0]*shape[1], len(x))
	require.Equal(t, x, y, "the same name gives the same values")
	other, err := a.Float32("language_model.model.decoder.layers.1.fc1.weight")
	require.NoError(t, err)
	require.NotEqual(t, x, other, "another name gives other values")
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
		require.LessOrEqual(t, math.Abs(float64(v)), 0.0347)
	}
	require.InDelta(t, 0.02, math.Sqrt(ss/float64(len(x))), 0.002)

	norm, err := a.Float32("language_model.model.decoder.layers.0.final_layer_norm.weight")
	require.NoError(t, err)
	require.Len(t, norm, cfg.Text.HiddenSize, "a norm weight per hidden unit")
	for _, v := range norm {
		require.Equal(t, float32(1), v)
	}
	_, err = a.Float32("no.such.tensor")
	require.Error(t, err)
	_, err = a.Int8(name)
	require.Error(t, err, "a float tensor is not int8")

	q := NewRandomStore(cfg, true, false)
	_, dtype, _ = q.Lookup(name)
	require.Equal(t, "I8", dtype)
	qs, err := q.Int8(name)
	require.NoError(t, err)
	seen := map[int8]bool{}
	for _, v := range qs {
		require.GreaterOrEqual(t, v, int8(-127))
		seen[v] = true
	}
	require.Greater(t, len(seen), 200)
	_, dtype, ok = q.Lookup("language_model.model.decoder.layers.0.fc1.weight_scale")
	require.True(t, ok)
	require.Equal(t, "F32", dtype)
	_, dtype, _ = q.Lookup("vision_model.embeddings.patch_embedding.weight")
	require.Equal(t, "F32", dtype, "the patch convolution stays float")
}

// TestFromRandomStore builds both tiny fixtures' shapes from random weights, float and
// int8, and runs the image path and two decoding steps.
func TestFromRandomStore(t *testing.T) {
	be := cpu.New(2)
	defer be.Close()
	for _, dir := range []string{"tiny-opt/model", "tiny-t5/model"} {
		cfg, err := hfconfig.Load(filepath.Join(testdata, dir))
		require.NoError(t, err)
		for _, int8 := range []bool{false, true} {
			m, err := FromStore(cfg, NewRandomStore(cfg, int8, false), nil, Options{Backend: be})
			require.NoError(t, err, dir)
			size := cfg.Vision.ImageSize
			f, err := m.EncodePixels(make([]float32, 3*size*size))
			require.NoError(t, err)
			require.Equal(t, []int{cfg.NumQueryTokens, lmEmbedDim(cfg.Text)}, f.Prefix.Shape)
			_, err = m.InputIDs("a prompt")
			require.Error(t, err, "no tokenizer")
			ids := []int{3, 5, 6}
			if cfg.ImageTokenIndex >= 0 {
				for range cfg.NumQueryTokens {
					ids = append([]int{cfg.ImageTokenIndex}, ids...)
				}
			}
			emb, err := m.InputEmbeddings(f.Prefix, ids)
			require.NoError(t, err)
			seq, _, err := m.LM.Start(emb, 3, false)
			require.NoError(t, err)
			out, err := runtime.Generate(t.Context(), seq, ids, runtime.GenerateOptions{MaxNewTokens: 3, EOS: []int{-1}})
			require.NoError(t, err)
			require.Len(t, out.Tokens, 3)
			for _, v := range be.Host(seq.Logits(), nil) {
				require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
			}
		}
	}
	_, err := FromStore(nil, nil, nil, Options{Backend: be})
	require.Error(t, err)
}

// TestSizes checks the byte counts against the public checkpoints' parameter counts.
func TestSizes(t *testing.T) {
	cfg, err := hfconfig.Load(filepath.Join(testdata, "real-configs/blip2-opt-2.7b"))
	require.NoError(t, err)
	f32 := WeightBytes(cfg, false, false)
	require.InDelta(t, 3.74e9*4, float64(f32), 0.05e9*4, "blip2-opt-2.7b has about 3.74 B parameters")
	i8 := WeightBytes(cfg, true, false)
	require.Less(t, i8, f32/3)
	// Decoding OPT-2.7B reads its 32 layers and the tied head: about 2.65 B parameters.
	require.InDelta(t, 2.65e9*4, float64(DecodeBytes(cfg, false, false)), 0.05e9*4)
	require.InDelta(t, 2.65e9, float64(DecodeBytes(cfg, true, false)), 0.05e9)

	t5, err := hfconfig.Load(filepath.Join(testdata, "real-configs/blip2-flan-t5-xl"))
	require.NoError(t, err)
	// Flan-T5-XL's decoder without the cross-attention keys and values, plus the head.
	dec := DecodeBytes(t5, false, false)
	require.Less(t, dec, WeightBytes(t5, false, false)/2)
	require.Greater(t, dec, int64(4*1.0e9))
}
