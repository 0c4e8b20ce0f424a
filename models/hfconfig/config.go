// Package hfconfig reads the config.json (and generation_config.json) of a
// Hugging Face Blip2ForConditionalGeneration checkpoint, filling in the
// transformers class defaults for the many fields the hub files omit.
//
// Its room in docs/architecture.md: formats: imports nothing of the project.
package hfconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is a BLIP-2 checkpoint's configuration with every default filled in.
type Config struct {
	Dir                         string // folder it was loaded from ("" for Parse)
	NumQueryTokens              int
	ImageTokenIndex             int // -1 when absent (legacy layout: prefix concatenated before the text)
	UseDecoderOnlyLanguageModel bool
	Vision                      VisionConfig
	QFormer                     QFormerConfig
	Text                        TextConfig
	Generation                  GenerationConfig
	Quantization                *QuantizationConfig // nil when config.json has no "quantization_config"
}

// VisionConfig is Blip2VisionConfig (EVA ViT-g).
type VisionConfig struct {
	HiddenSize, IntermediateSize, NumHiddenLayers, NumAttentionHeads, ImageSize, PatchSize, NumChannels int
	LayerNormEps                                                                                        float64
	HiddenAct                                                                                           string
	QKVBias                                                                                             bool
}

// QFormerConfig is Blip2QFormerConfig.
type QFormerConfig struct {
	HiddenSize, IntermediateSize, NumHiddenLayers, NumAttentionHeads, CrossAttentionFrequency, EncoderHiddenSize int
	LayerNormEps                                                                                                 float64
	HiddenAct                                                                                                    string
	UseQFormerTextInput                                                                                          bool
}

// TextConfig is the language model's config: OPTConfig or T5Config. Token
// ids the file leaves unset (with no class default) are -1.
type TextConfig struct {
	ModelType string // "opt" or "t5"
	VocabSize int
	// OPT
	HiddenSize, NumHiddenLayers, NumAttentionHeads, FFNDim, WordEmbedProjDim, MaxPositionEmbeddings int
	DoLayerNormBefore, EnableBias, LayerNormElementwiseAffine, RemoveFinalLayerNorm                 bool
	ActivationFunction                                                                              string
	// T5
	DModel, DKV, DFF, NumLayers, NumDecoderLayers, NumHeads, RelativeAttentionNumBuckets, RelativeAttentionMaxDistance int
	LayerNormEpsilon                                                                                                   float64
	FeedForwardProj, DenseActFn                                                                                        string
	IsGatedAct                                                                                                         bool
	TieWordEmbeddings, ScaleDecoderOutputs                                                                             bool
	// both
	BosTokenID, PadTokenID, DecoderStartTokenID int
	EosTokenIDs                                 []int
}

// GenerationConfig holds the generation settings: generation_config.json
// over transformers' GenerationConfig defaults. MaxNewTokens 0 means unset
// (MaxLength applies).
type GenerationConfig struct {
	BosTokenID, PadTokenID, DecoderStartTokenID           int
	EosTokenIDs                                           []int
	MaxLength, MaxNewTokens, MinNewTokens, NumBeams, TopK int
	DoSample                                              bool
	Temperature, TopP, RepetitionPenalty, LengthPenalty   float64
	EarlyStopping                                         string // "true", "false" or "never"
}

const (
	configFile     = "config.json"
	generationFile = "generation_config.json"
)

// Load reads dir/config.json and, when present, dir/generation_config.json.
func Load(dir string) (*Config, error) {
	cfg, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", dir, err)
	}
	gen, err := os.ReadFile(filepath.Join(dir, generationFile))
	if errors.Is(err, os.ErrNotExist) {
		gen = nil
	} else if err != nil {
		return nil, fmt.Errorf("load config %s: %w", dir, err)
	}
	c, err := Parse(cfg, gen)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", dir, err)
	}
	c.Dir = dir
	return c, nil
}

// IsEncoderDecoder reports whether the language model is T5-style.
func (c *Config) IsEncoderDecoder() bool { return c.Text.ModelType == "t5" }
