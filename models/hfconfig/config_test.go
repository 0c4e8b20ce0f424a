package hfconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	shapesDir   = "../shapes/blip2-shapes-opt"
	tinyOPTDir  = "../../testdata/tiny-opt/model"
	tinyT5Dir   = "../../testdata/tiny-t5/model"
	realOPTDir  = "../../testdata/real-configs/blip2-opt-2.7b"
	realFlanDir = "../../testdata/real-configs/blip2-flan-t5-xl"
)

// blip2Vision and blip2QFormer are the class defaults, which the real hub
// configs rely on (blip2-numerics.md §2, §3).
var (
	blip2Vision = VisionConfig{HiddenSize: 1408, IntermediateSize: 6144, NumHiddenLayers: 39, NumAttentionHeads: 16,
		ImageSize: 224, PatchSize: 14, NumChannels: 3, LayerNormEps: 1e-6, HiddenAct: "gelu", QKVBias: true}
	blip2QFormer = QFormerConfig{HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
		CrossAttentionFrequency: 2, EncoderHiddenSize: 1408, LayerNormEps: 1e-12, HiddenAct: "gelu"}
)

func TestRealOPT27b(t *testing.T) {
	c, err := Load(realOPTDir)
	require.NoError(t, err)
	require.Equal(t, realOPTDir, c.Dir)
	require.Equal(t, 32, c.NumQueryTokens)
	require.Equal(t, 50265, c.ImageTokenIndex)
	require.True(t, c.UseDecoderOnlyLanguageModel)
	require.False(t, c.IsEncoderDecoder())
	require.Equal(t, blip2Vision, c.Vision)
	require.Equal(t, blip2QFormer, c.QFormer)
	require.Equal(t, TextConfig{
		ModelType: "opt", VocabSize: 50304,
		HiddenSize: 2560, NumHiddenLayers: 32, NumAttentionHeads: 32, FFNDim: 10240, WordEmbedProjDim: 2560, MaxPositionEmbeddings: 2048,
		DoLayerNormBefore: true, EnableBias: true, LayerNormElementwiseAffine: true, ActivationFunction: "relu",
		TieWordEmbeddings: true, BosTokenID: 2, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{50118},
	}, c.Text)
	require.Equal(t, GenerationConfig{
		BosTokenID: 2, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{50118},
		MaxLength: 20, NumBeams: 1, TopK: 50, Temperature: 1, TopP: 1, RepetitionPenalty: 1, LengthPenalty: 1, EarlyStopping: "false",
	}, c.Generation)
	require.Nil(t, c.Quantization)
}

func TestRealFlanT5XL(t *testing.T) {
	c, err := Load(realFlanDir)
	require.NoError(t, err)
	require.Equal(t, -1, c.ImageTokenIndex, "older layout: no image_token_index")
	require.False(t, c.UseDecoderOnlyLanguageModel)
	require.True(t, c.IsEncoderDecoder())
	// This file stores the vision eps explicitly as 1e-5; the stored value wins
	// over the class default of 1e-6.
	wantVision := blip2Vision
	wantVision.LayerNormEps = 1e-5
	require.Equal(t, wantVision, c.Vision)
	require.Equal(t, blip2QFormer, c.QFormer)
	require.Equal(t, TextConfig{
		ModelType: "t5", VocabSize: 32128,
		DModel: 2048, DKV: 64, DFF: 5120, NumLayers: 24, NumDecoderLayers: 24, NumHeads: 32,
		RelativeAttentionNumBuckets: 32, RelativeAttentionMaxDistance: 128, LayerNormEpsilon: 1e-6,
		FeedForwardProj: "gated-gelu", DenseActFn: "gelu", IsGatedAct: true,
		TieWordEmbeddings: false, ScaleDecoderOutputs: false,
		BosTokenID: 1, PadTokenID: 0, DecoderStartTokenID: 0, EosTokenIDs: []int{1},
	}, c.Text)
	g := c.Generation
	require.Equal(t, []int{1}, g.EosTokenIDs)
	require.Equal(t, 0, g.DecoderStartTokenID)
	require.Equal(t, 0, g.PadTokenID)
	require.Equal(t, 1, g.BosTokenID)
	require.Equal(t, 20, g.MaxLength)
}

func TestShapesModel(t *testing.T) {
	c, err := Load(shapesDir)
	require.NoError(t, err)
	require.Equal(t, 16, c.NumQueryTokens)
	require.Equal(t, 420, c.ImageTokenIndex)
	require.Equal(t, VisionConfig{HiddenSize: 192, IntermediateSize: 768, NumHiddenLayers: 4, NumAttentionHeads: 3,
		ImageSize: 224, PatchSize: 16, NumChannels: 3, LayerNormEps: 1e-6, HiddenAct: "gelu", QKVBias: true}, c.Vision)
	require.Equal(t, QFormerConfig{HiddenSize: 192, IntermediateSize: 768, NumHiddenLayers: 3, NumAttentionHeads: 3,
		CrossAttentionFrequency: 2, EncoderHiddenSize: 192, LayerNormEps: 1e-12, HiddenAct: "gelu"}, c.QFormer)
	require.Equal(t, TextConfig{
		ModelType: "opt", VocabSize: 432,
		HiddenSize: 192, NumHiddenLayers: 4, NumAttentionHeads: 3, FFNDim: 768, WordEmbedProjDim: 192, MaxPositionEmbeddings: 128,
		DoLayerNormBefore: true, EnableBias: true, LayerNormElementwiseAffine: true, ActivationFunction: "relu",
		TieWordEmbeddings: true, BosTokenID: 2, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{2},
	}, c.Text)
	require.Equal(t, []int{2}, c.Generation.EosTokenIDs)
	require.Equal(t, 2, c.Generation.BosTokenID)
	require.Equal(t, 1, c.Generation.PadTokenID)
}

func TestTinyOPT(t *testing.T) {
	c, err := Load(tinyOPTDir)
	require.NoError(t, err)
	require.Equal(t, 8, c.NumQueryTokens)
	require.Equal(t, 420, c.ImageTokenIndex)
	require.Equal(t, 1e-5, c.Vision.LayerNormEps)
	require.Equal(t, 14, c.Vision.PatchSize)
	require.Equal(t, 32, c.QFormer.EncoderHiddenSize)
	require.Equal(t, 64, c.Text.HiddenSize)
	require.Equal(t, 4, c.Text.NumAttentionHeads)
	require.Equal(t, 2, c.Text.NumHiddenLayers)
	require.Equal(t, 128, c.Text.FFNDim)
}

func TestTinyT5(t *testing.T) {
	c, err := Load(tinyT5Dir)
	require.NoError(t, err)
	require.Equal(t, 92, c.ImageTokenIndex)
	require.True(t, c.IsEncoderDecoder())
	tc := c.Text
	require.Equal(t, "t5", tc.ModelType)
	require.Equal(t, []int{64, 16, 128, 2, 2, 4, 144}, []int{tc.DModel, tc.DKV, tc.DFF, tc.NumLayers, tc.NumDecoderLayers, tc.NumHeads, tc.VocabSize})
	require.Equal(t, "gelu", tc.DenseActFn)
	require.True(t, tc.IsGatedAct)
	require.True(t, tc.TieWordEmbeddings)
	require.False(t, tc.ScaleDecoderOutputs, "stored scale_decoder_outputs wins over tie_word_embeddings")
	require.Equal(t, -1, tc.BosTokenID)
	require.Equal(t, 0, c.Generation.DecoderStartTokenID)
	require.Equal(t, []int{1}, c.Generation.EosTokenIDs)
}

func TestMissingConfig(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "load config "+dir)
	require.ErrorContains(t, err, "config.json")
}

func TestMalformedJSON(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"num_query_tokens": 32,`), 0o644))
	_, err := Load(dir)
	require.ErrorContains(t, err, "load config "+dir+": config.json: unexpected end of JSON input")
}

func TestMalformedGenerationJSON(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"num_beams": "four"}`), 0o644))
	_, err := Load(dir)
	require.ErrorContains(t, err, "generation_config.json: ")
	require.ErrorContains(t, err, "num_beams")
}
