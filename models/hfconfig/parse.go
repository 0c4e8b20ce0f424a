package hfconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The raw structs mirror the JSON: a nil pointer is a field the file omits.

type rawConfig struct {
	ModelType          *string             `json:"model_type"`
	NumQueryTokens     *int                `json:"num_query_tokens"`
	ImageTokenIndex    *int                `json:"image_token_index"`
	ImageTokenID       *int                `json:"image_token_id"` // transformers v5 alias
	VisionConfig       *rawVision          `json:"vision_config"`
	QFormerConfig      *rawQFormer         `json:"qformer_config"`
	TextConfig         *rawText            `json:"text_config"`
	QuantizationConfig *QuantizationConfig `json:"quantization_config"`
}

type rawVision struct {
	HiddenSize        *int     `json:"hidden_size"`
	IntermediateSize  *int     `json:"intermediate_size"`
	NumHiddenLayers   *int     `json:"num_hidden_layers"`
	NumAttentionHeads *int     `json:"num_attention_heads"`
	ImageSize         *int     `json:"image_size"`
	PatchSize         *int     `json:"patch_size"`
	NumChannels       *int     `json:"num_channels"`
	LayerNormEps      *float64 `json:"layer_norm_eps"`
	HiddenAct         *string  `json:"hidden_act"`
	QKVBias           *bool    `json:"qkv_bias"`
}

type rawQFormer struct {
	HiddenSize              *int     `json:"hidden_size"`
	IntermediateSize        *int     `json:"intermediate_size"`
	NumHiddenLayers         *int     `json:"num_hidden_layers"`
	NumAttentionHeads       *int     `json:"num_attention_heads"`
	CrossAttentionFrequency *int     `json:"cross_attention_frequency"`
	LayerNormEps            *float64 `json:"layer_norm_eps"`
	HiddenAct               *string  `json:"hidden_act"`
	UseQFormerTextInput     *bool    `json:"use_qformer_text_input"`
}

type rawText struct {
	ModelType *string `json:"model_type"`
	VocabSize *int    `json:"vocab_size"`
	// OPT
	HiddenSize                 *int    `json:"hidden_size"`
	NumHiddenLayers            *int    `json:"num_hidden_layers"`
	NumAttentionHeads          *int    `json:"num_attention_heads"`
	FFNDim                     *int    `json:"ffn_dim"`
	WordEmbedProjDim           *int    `json:"word_embed_proj_dim"`
	MaxPositionEmbeddings      *int    `json:"max_position_embeddings"`
	DoLayerNormBefore          *bool   `json:"do_layer_norm_before"`
	EnableBias                 *bool   `json:"enable_bias"`
	LayerNormElementwiseAffine *bool   `json:"layer_norm_elementwise_affine"`
	RemoveFinalLayerNorm       *bool   `json:"_remove_final_layer_norm"`
	ActivationFunction         *string `json:"activation_function"`
	// T5
	DModel                       *int     `json:"d_model"`
	DKV                          *int     `json:"d_kv"`
	DFF                          *int     `json:"d_ff"`
	NumLayers                    *int     `json:"num_layers"`
	NumDecoderLayers             *int     `json:"num_decoder_layers"`
	NumHeads                     *int     `json:"num_heads"`
	RelativeAttentionNumBuckets  *int     `json:"relative_attention_num_buckets"`
	RelativeAttentionMaxDistance *int     `json:"relative_attention_max_distance"`
	LayerNormEpsilon             *float64 `json:"layer_norm_epsilon"`
	FeedForwardProj              *string  `json:"feed_forward_proj"`
	DenseActFn                   *string  `json:"dense_act_fn"`
	IsGatedAct                   *bool    `json:"is_gated_act"`
	TieWordEmbeddings            *bool    `json:"tie_word_embeddings"`
	ScaleDecoderOutputs          *bool    `json:"scale_decoder_outputs"`
	// both
	tokenIDs
}

type tokenIDs struct {
	BosTokenID          *int      `json:"bos_token_id"`
	PadTokenID          *int      `json:"pad_token_id"`
	DecoderStartTokenID *int      `json:"decoder_start_token_id"`
	EosTokenID          tokenList `json:"eos_token_id"`
}

// tokenList is eos_token_id: an int, a list of ints, or null/absent (nil).
type tokenList []int

func (t *tokenList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var ids []int
		if err := json.Unmarshal(b, &ids); err != nil {
			return fmt.Errorf("eos_token_id: %w", err)
		}
		*t = ids
		return nil
	}
	var id int
	if err := json.Unmarshal(b, &id); err != nil {
		return fmt.Errorf("eos_token_id %s: not an int or a list of ints", b)
	}
	*t = tokenList{id}
	return nil
}

// Parse reads config.json and, unless generationJSON is nil, generation_config.json,
// fills in the defaults and validates the result.
func Parse(configJSON, generationJSON []byte) (*Config, error) {
	var raw rawConfig
	if err := json.Unmarshal(configJSON, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", configFile, err)
	}
	if raw.ModelType != nil && *raw.ModelType != "blip-2" {
		return nil, fmt.Errorf("%s: model_type %q is not blip-2", configFile, *raw.ModelType)
	}
	c := &Config{
		NumQueryTokens:  or(raw.NumQueryTokens, 32),
		ImageTokenIndex: or(raw.ImageTokenIndex, or(raw.ImageTokenID, -1)),
		Quantization:    raw.QuantizationConfig,
	}
	c.Vision = visionDefaults(orZero(raw.VisionConfig))
	c.QFormer = qformerDefaults(orZero(raw.QFormerConfig))
	// Blip2Config forces the cross-attention width to the vision width.
	c.QFormer.EncoderHiddenSize = c.Vision.HiddenSize
	text, err := textDefaults(orZero(raw.TextConfig))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", configFile, err)
	}
	c.Text = text
	// Derived, as Blip2Config does, whatever the file says.
	c.UseDecoderOnlyLanguageModel = text.ModelType == "opt"

	gen, err := parseGeneration(generationJSON, text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", generationFile, err)
	}
	c.Generation = gen
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func orZero[T any](p *T) T {
	var zero T
	return or(p, zero)
}

// visionDefaults applies Blip2VisionConfig's defaults.
func visionDefaults(r rawVision) VisionConfig {
	return VisionConfig{
		HiddenSize:        or(r.HiddenSize, 1408),
		IntermediateSize:  or(r.IntermediateSize, 6144),
		NumHiddenLayers:   or(r.NumHiddenLayers, 39),
		NumAttentionHeads: or(r.NumAttentionHeads, 16),
		ImageSize:         or(r.ImageSize, 224),
		PatchSize:         or(r.PatchSize, 14),
		NumChannels:       or(r.NumChannels, 3),
		LayerNormEps:      or(r.LayerNormEps, 1e-6),
		HiddenAct:         or(r.HiddenAct, "gelu"),
		QKVBias:           or(r.QKVBias, true),
	}
}

// qformerDefaults applies Blip2QFormerConfig's defaults.
func qformerDefaults(r rawQFormer) QFormerConfig {
	return QFormerConfig{
		HiddenSize:              or(r.HiddenSize, 768),
		IntermediateSize:        or(r.IntermediateSize, 3072),
		NumHiddenLayers:         or(r.NumHiddenLayers, 12),
		NumAttentionHeads:       or(r.NumAttentionHeads, 12),
		CrossAttentionFrequency: or(r.CrossAttentionFrequency, 2),
		LayerNormEps:            or(r.LayerNormEps, 1e-12),
		HiddenAct:               or(r.HiddenAct, "gelu"),
		UseQFormerTextInput:     or(r.UseQFormerTextInput, false),
	}
}

// textDefaults applies OPTConfig's or T5Config's defaults; Blip2Config
// takes "opt" when text_config has no model_type.
func textDefaults(r rawText) (TextConfig, error) {
	t := TextConfig{ModelType: or(r.ModelType, "opt")}
	switch t.ModelType {
	case "opt":
		t.VocabSize = or(r.VocabSize, 50272)
		t.HiddenSize = or(r.HiddenSize, 768)
		t.NumHiddenLayers = or(r.NumHiddenLayers, 12)
		t.NumAttentionHeads = or(r.NumAttentionHeads, 12)
		t.FFNDim = or(r.FFNDim, 3072)
		t.WordEmbedProjDim = or(r.WordEmbedProjDim, t.HiddenSize)
		t.MaxPositionEmbeddings = or(r.MaxPositionEmbeddings, 2048)
		t.DoLayerNormBefore = or(r.DoLayerNormBefore, true)
		t.EnableBias = or(r.EnableBias, true)
		t.LayerNormElementwiseAffine = or(r.LayerNormElementwiseAffine, true)
		t.RemoveFinalLayerNorm = or(r.RemoveFinalLayerNorm, false)
		t.ActivationFunction = or(r.ActivationFunction, "relu")
		t.TieWordEmbeddings = or(r.TieWordEmbeddings, true)
		t.BosTokenID = or(r.BosTokenID, 2)
		t.PadTokenID = or(r.PadTokenID, 1)
		t.DecoderStartTokenID = or(r.DecoderStartTokenID, -1)
		t.EosTokenIDs = eosOr(r.EosTokenID, 2)
	case "t5":
		t.VocabSize = or(r.VocabSize, 32128)
		t.DModel = or(r.DModel, 512)
		t.DKV = or(r.DKV, 64)
		t.DFF = or(r.DFF, 2048)
		t.NumLayers = or(r.NumLayers, 6)
		t.NumDecoderLayers = or(r.NumDecoderLayers, t.NumLayers)
		t.NumHeads = or(r.NumHeads, 8)
		t.RelativeAttentionNumBuckets = or(r.RelativeAttentionNumBuckets, 32)
		t.RelativeAttentionMaxDistance = or(r.RelativeAttentionMaxDistance, 128)
		t.LayerNormEpsilon = or(r.LayerNormEpsilon, 1e-6)
		t.FeedForwardProj = or(r.FeedForwardProj, "relu")
		// T5Config derives the activation from feed_forward_proj, then the
		// stored attributes overwrite it: BLIP-2 stores "gelu" (exact erf).
		act, gated, err := parseFeedForwardProj(t.FeedForwardProj)
		if err != nil {
			return t, err
		}
		t.DenseActFn = or(r.DenseActFn, act)
		t.IsGatedAct = or(r.IsGatedAct, gated)
		t.TieWordEmbeddings = or(r.TieWordEmbeddings, true)
		t.ScaleDecoderOutputs = or(r.ScaleDecoderOutputs, t.TieWordEmbeddings)
		t.BosTokenID = or(r.BosTokenID, -1)
		t.PadTokenID = or(r.PadTokenID, 0)
		t.DecoderStartTokenID = or(r.DecoderStartTokenID, t.PadTokenID)
		t.EosTokenIDs = eosOr(r.EosTokenID, 1)
	default:
		return t, fmt.Errorf("text_config.model_type %q not supported (want opt or t5)", t.ModelType)
	}
	return t, nil
}

func eosOr(ids tokenList, def int) []int {
	if ids == nil {
		return []int{def}
	}
	return append([]int(nil), ids...)
}

// parseFeedForwardProj splits "gated-gelu" / "relu" as T5Config does,
// including its backward-compatible "gated-gelu" → "gelu_new".
func parseFeedForwardProj(p string) (act string, gated bool, err error) {
	parts := strings.Split(p, "-")
	if len(parts) > 2 || (len(parts) == 2 && parts[0] != "gated") || parts[len(parts)-1] == "" {
		return "", false, fmt.Errorf("text_config.feed_forward_proj %q: want ACT or gated-ACT", p)
	}
	act, gated = parts[len(parts)-1], len(parts) == 2
	if p == "gated-gelu" {
		act = "gelu_new"
	}
	return act, gated, nil
}
