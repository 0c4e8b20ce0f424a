package hfconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEmptyConfigIsBlip2OPTDefaults(t *testing.T) {
	c, err := Parse([]byte(`{}`), nil)
	require.NoError(t, err)
	require.Equal(t, 32, c.NumQueryTokens)
	require.Equal(t, -1, c.ImageTokenIndex)
	require.Equal(t, blip2Vision, c.Vision)
	require.Equal(t, blip2QFormer, c.QFormer)
	require.Equal(t, TextConfig{
		ModelType: "opt", VocabSize: 50272,
		HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, FFNDim: 3072, WordEmbedProjDim: 768, MaxPositionEmbeddings: 2048,
		DoLayerNormBefore: true, EnableBias: true, LayerNormElementwiseAffine: true, ActivationFunction: "relu",
		TieWordEmbeddings: true, BosTokenID: 2, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{2},
	}, c.Text)
	require.Equal(t, GenerationConfig{
		BosTokenID: 2, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{2},
		MaxLength: 20, NumBeams: 1, TopK: 50, Temperature: 1, TopP: 1, RepetitionPenalty: 1, LengthPenalty: 1, EarlyStopping: "false",
	}, c.Generation)
}

func TestDefaultRules(t *testing.T) {
	cases := []struct {
		name  string
		json  string
		check func(t *testing.T, c *Config)
	}{
		{"image_token_id alias", `{"image_token_id": 50265, "text_config": {"vocab_size": 50304}}`, func(t *testing.T, c *Config) {
			require.Equal(t, 50265, c.ImageTokenIndex)
		}},
		{"image_token_index wins over alias", `{"image_token_index": 7, "image_token_id": 8}`, func(t *testing.T, c *Config) {
			require.Equal(t, 7, c.ImageTokenIndex)
		}},
		{"word_embed_proj_dim follows hidden_size", `{"text_config": {"hidden_size": 256, "num_attention_heads": 4}}`, func(t *testing.T, c *Config) {
			require.Equal(t, 256, c.Text.WordEmbedProjDim)
		}},
		{"encoder_hidden_size forced to vision width", `{"vision_config": {"hidden_size": 64, "num_attention_heads": 4}, "qformer_config": {"encoder_hidden_size": 1408}}`, func(t *testing.T, c *Config) {
			require.Equal(t, 64, c.QFormer.EncoderHiddenSize)
		}},
		{"t5 num_decoder_layers follows num_layers", `{"text_config": {"model_type": "t5", "num_layers": 5}}`, func(t *testing.T, c *Config) {
			require.Equal(t, 5, c.Text.NumDecoderLayers)
			require.False(t, c.UseDecoderOnlyLanguageModel)
		}},
		{"t5 gated-gelu derives gelu_new", `{"text_config": {"model_type": "t5", "feed_forward_proj": "gated-gelu"}}`, func(t *testing.T, c *Config) {
			require.Equal(t, "gelu_new", c.Text.DenseActFn)
			require.True(t, c.Text.IsGatedAct)
		}},
		{"t5 stored dense_act_fn wins", `{"text_config": {"model_type": "t5", "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu"}}`, func(t *testing.T, c *Config) {
			require.Equal(t, "gelu", c.Text.DenseActFn)
			require.True(t, c.Text.IsGatedAct)
		}},
		{"t5 default relu", `{"text_config": {"model_type": "t5"}}`, func(t *testing.T, c *Config) {
			require.Equal(t, "relu", c.Text.FeedForwardProj)
			require.Equal(t, "relu", c.Text.DenseActFn)
			require.False(t, c.Text.IsGatedAct)
		}},
		{"t5 gated-silu", `{"text_config": {"model_type": "t5", "feed_forward_proj": "gated-silu"}}`, func(t *testing.T, c *Config) {
			require.Equal(t, "silu", c.Text.DenseActFn)
			require.True(t, c.Text.IsGatedAct)
		}},
		{"t5 scale follows tie when absent", `{"text_config": {"model_type": "t5"}}`, func(t *testing.T, c *Config) {
			require.True(t, c.Text.TieWordEmbeddings)
			require.True(t, c.Text.ScaleDecoderOutputs)
		}},
		{"t5 scale follows untied", `{"text_config": {"model_type": "t5", "tie_word_embeddings": false}}`, func(t *testing.T, c *Config) {
			require.False(t, c.Text.ScaleDecoderOutputs)
		}},
		{"t5 stored scale wins", `{"text_config": {"model_type": "t5", "tie_word_embeddings": true, "scale_decoder_outputs": false}}`, func(t *testing.T, c *Config) {
			require.False(t, c.Text.ScaleDecoderOutputs)
		}},
		{"t5 decoder start defaults to pad", `{"text_config": {"model_type": "t5", "pad_token_id": 3}}`, func(t *testing.T, c *Config) {
			require.Equal(t, 3, c.Text.DecoderStartTokenID)
			require.Equal(t, 3, c.Generation.DecoderStartTokenID)
			require.Equal(t, []int{1}, c.Text.EosTokenIDs)
		}},
		{"eos list", `{"text_config": {"eos_token_id": [2, 50118]}}`, func(t *testing.T, c *Config) {
			require.Equal(t, []int{2, 50118}, c.Text.EosTokenIDs)
			require.Equal(t, []int{2, 50118}, c.Generation.EosTokenIDs)
		}},
		{"null fields take defaults", `{"image_token_index": null, "text_config": {"eos_token_id": null, "word_embed_proj_dim": null}}`, func(t *testing.T, c *Config) {
			require.Equal(t, -1, c.ImageTokenIndex)
			require.Equal(t, []int{2}, c.Text.EosTokenIDs)
			require.Equal(t, 768, c.Text.WordEmbedProjDim)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.json), nil)
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestGenerationConfig(t *testing.T) {
	gen := `{"bos_token_id": 5, "eos_token_id": [6, 7], "max_new_tokens": 30, "min_new_tokens": 2, "num_beams": 3,
		"do_sample": true, "temperature": 0.7, "top_k": 10, "top_p": 0.9, "repetition_penalty": 1.2,
		"length_penalty": 0.5, "early_stopping": "never"}`
	c, err := Parse([]byte(`{}`), []byte(gen))
	require.NoError(t, err)
	require.Equal(t, GenerationConfig{
		BosTokenID: 5, PadTokenID: 1, DecoderStartTokenID: -1, EosTokenIDs: []int{6, 7},
		MaxLength: 20, MaxNewTokens: 30, MinNewTokens: 2, NumBeams: 3, TopK: 10, DoSample: true,
		Temperature: 0.7, TopP: 0.9, RepetitionPenalty: 1.2, LengthPenalty: 0.5, EarlyStopping: "never",
	}, c.Generation)
	// The file's ids do not change the language model's.
	require.Equal(t, []int{2}, c.Text.EosTokenIDs)

	for _, es := range []string{"true", "false"} {
		c, err := Parse([]byte(`{}`), []byte(`{"early_stopping": `+es+`}`))
		require.NoError(t, err)
		require.Equal(t, es, c.Generation.EarlyStopping)
	}
}
