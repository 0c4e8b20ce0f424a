package hfconfig

import (
	"errors"
	"fmt"
	"slices"
)

// knownActivations are the ACT2FN names the runtime implements.
func knownActivations() []string {
	return []string{"gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu"}
}

// Validate checks sizes, head splits, model types and activations; errors
// name the config.json field (or generation_config.json's).
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(configFile+": "+format, args...)) }
	badGen := func(format string, args ...any) { errs = append(errs, fmt.Errorf(generationFile+": "+format, args...)) }
	positive := func(name string, v int) {
		if v <= 0 {
			bad("%s %d must be positive", name, v)
		}
	}
	heads := func(prefix string, hidden, heads int) {
		if heads > 0 && hidden > 0 && hidden%heads != 0 {
			bad("%s.num_attention_heads %d does not divide %s.hidden_size %d", prefix, heads, prefix, hidden)
		}
	}
	act := func(name, a string) {
		if !slices.Contains(knownActivations(), a) {
			bad("%s %q not supported (want one of %v)", name, a, knownActivations())
		}
	}
	eps := func(name string, v float64) {
		if !(v > 0 && v < 1) {
			bad("%s %g must be in (0, 1)", name, v)
		}
	}

	positive("num_query_tokens", c.NumQueryTokens)
	if c.ImageTokenIndex < -1 || (c.ImageTokenIndex >= c.Text.VocabSize && c.Text.VocabSize > 0) {
		bad("image_token_index %d outside the vocabulary of %d", c.ImageTokenIndex, c.Text.VocabSize)
	}

	v := c.Vision
	for _, f := range []struct {
		n string
		v int
	}{{"hidden_size", v.HiddenSize}, {"intermediate_size", v.IntermediateSize}, {"num_hidden_layers", v.NumHiddenLayers},
		{"num_attention_heads", v.NumAttentionHeads}, {"image_size", v.ImageSize}, {"patch_size", v.PatchSize}, {"num_channels", v.NumChannels}} {
		positive("vision_config."+f.n, f.v)
	}
	heads("vision_config", v.HiddenSize, v.NumAttentionHeads)
	if v.PatchSize > 0 && v.ImageSize%v.PatchSize != 0 {
		bad("vision_config.patch_size %d does not divide vision_config.image_size %d", v.PatchSize, v.ImageSize)
	}
	eps("vision_config.layer_norm_eps", v.LayerNormEps)
	act("vision_config.hidden_act", v.HiddenAct)

	q := c.QFormer
	for _, f := range []struct {
		n string
		v int
	}{{"hidden_size", q.HiddenSize}, {"intermediate_size", q.IntermediateSize}, {"num_hidden_layers", q.NumHiddenLayers},
		{"num_attention_heads", q.NumAttentionHeads}, {"cross_attention_frequency", q.CrossAttentionFrequency}, {"encoder_hidden_size", q.EncoderHiddenSize}} {
		positive("qformer_config."+f.n, f.v)
	}
	heads("qformer_config", q.HiddenSize, q.NumAttentionHeads)
	eps("qformer_config.layer_norm_eps", q.LayerNormEps)
	act("qformer_config.hidden_act", q.HiddenAct)

	t := c.Text
	positive("text_config.vocab_size", t.VocabSize)
	switch t.ModelType {
	case "opt":
		for _, f := range []struct {
			n string
			v int
		}{{"hidden_size", t.HiddenSize}, {"num_hidden_layers", t.NumHiddenLayers}, {"num_attention_heads", t.NumAttentionHeads},
			{"ffn_dim", t.FFNDim}, {"word_embed_proj_dim", t.WordEmbedProjDim}, {"max_position_embeddings", t.MaxPositionEmbeddings}} {
			positive("text_config."+f.n, f.v)
		}
		heads("text_config", t.HiddenSize, t.NumAttentionHeads)
		act("text_config.activation_function", t.ActivationFunction)
	case "t5":
		for _, f := range []struct {
			n string
			v int
		}{{"d_model", t.DModel}, {"d_kv", t.DKV}, {"d_ff", t.DFF}, {"num_layers", t.NumLayers}, {"num_decoder_layers", t.NumDecoderLayers},
			{"num_heads", t.NumHeads}, {"relative_attention_num_buckets", t.RelativeAttentionNumBuckets},
			{"relative_attention_max_distance", t.RelativeAttentionMaxDistance}} {
			positive("text_config."+f.n, f.v)
		}
		// The decoder bucket scheme splits the buckets in half and needs a
		// max distance above the exact range.
		if nb := t.RelativeAttentionNumBuckets; nb > 0 && (nb%2 != 0 || t.RelativeAttentionMaxDistance <= nb/2) {
			bad("text_config.relative_attention_num_buckets %d / max_distance %d: want an even count below twice the distance", nb, t.RelativeAttentionMaxDistance)
		}
		eps("text_config.layer_norm_epsilon", t.LayerNormEpsilon)
		act("text_config.dense_act_fn", t.DenseActFn)
		if t.DecoderStartTokenID < 0 {
			bad("text_config.decoder_start_token_id %d must be set for t5", t.DecoderStartTokenID)
		}
	default:
		bad("text_config.model_type %q not supported (want opt or t5)", t.ModelType)
	}
	if len(t.EosTokenIDs) == 0 {
		bad("text_config.eos_token_id is empty")
	}
	for _, id := range t.EosTokenIDs {
		if id < 0 || (t.VocabSize > 0 && id >= t.VocabSize) {
			bad("text_config.eos_token_id %d outside the vocabulary of %d", id, t.VocabSize)
		}
	}

	g := c.Generation
	if g.NumBeams < 1 {
		badGen("num_beams %d must be at least 1", g.NumBeams)
	}
	if g.MaxLength < 1 {
		badGen("max_length %d must be positive", g.MaxLength)
	}
	if g.MaxNewTokens < 0 || g.MinNewTokens < 0 || g.TopK < 0 {
		badGen("max_new_tokens %d, min_new_tokens %d, top_k %d must not be negative", g.MaxNewTokens, g.MinNewTokens, g.TopK)
	}
	if !(g.TopP > 0 && g.TopP <= 1) {
		badGen("top_p %g must be in (0, 1]", g.TopP)
	}
	if g.DoSample && !(g.Temperature > 0) {
		badGen("temperature %g must be positive when sampling", g.Temperature)
	}
	if !(g.RepetitionPenalty > 0) {
		badGen("repetition_penalty %g must be positive", g.RepetitionPenalty)
	}
	if !slices.Contains([]string{"true", "false", "never"}, g.EarlyStopping) {
		badGen("early_stopping %q: want true, false or never", g.EarlyStopping)
	}
	if len(g.EosTokenIDs) == 0 {
		badGen("eos_token_id is empty")
	}

	if c.Quantization != nil {
		if err := c.Quantization.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", configFile, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}
