package hfconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, config, generation, want string
	}{
		{"malformed", `{"vision_config": [}`, "", "config.json: invalid character"},
		{"not blip-2", `{"model_type": "instructblip"}`, "", `config.json: model_type "instructblip" is not blip-2`},
		{"unknown text model", `{"text_config": {"model_type": "llama"}}`, "", `config.json: text_config.model_type "llama" not supported (want opt or t5)`},
		{"zero opt heads", `{"text_config": {"num_attention_heads": 0}}`, "", "config.json: text_config.num_attention_heads 0 must be positive"},
		{"opt heads not dividing", `{"text_config": {"hidden_size": 100, "num_attention_heads": 3}}`, "", "config.json: text_config.num_attention_heads 3 does not divide text_config.hidden_size 100"},
		{"vision heads not dividing", `{"vision_config": {"num_attention_heads": 15}}`, "", "config.json: vision_config.num_attention_heads 15 does not divide vision_config.hidden_size 1408"},
		{"zero qformer heads", `{"qformer_config": {"num_attention_heads": 0}}`, "", "config.json: qformer_config.num_attention_heads 0 must be positive"},
		{"zero t5 heads", `{"text_config": {"model_type": "t5", "num_heads": 0}}`, "", "config.json: text_config.num_heads 0 must be positive"},
		{"patch not dividing image", `{"vision_config": {"patch_size": 15}}`, "", "config.json: vision_config.patch_size 15 does not divide vision_config.image_size 224"},
		{"unknown activation", `{"vision_config": {"hidden_act": "swish2"}}`, "", `config.json: vision_config.hidden_act "swish2" not supported`},
		{"bad feed_forward_proj", `{"text_config": {"model_type": "t5", "feed_forward_proj": "double-gelu"}}`, "", `config.json: text_config.feed_forward_proj "double-gelu": want ACT or gated-ACT`},
		{"eos wrong type", `{"text_config": {"eos_token_id": "x"}}`, "", `eos_token_id "x": not an int or a list of ints`},
		{"image token beyond vocab", `{"image_token_index": 60000}`, "", "config.json: image_token_index 60000 outside the vocabulary of 50272"},
		{"zero query tokens", `{"num_query_tokens": 0}`, "", "config.json: num_query_tokens 0 must be positive"},
		{"generation malformed", `{}`, `{"num_beams": }`, "generation_config.json: invalid character"},
		{"generation zero beams", `{}`, `{"num_beams": 0}`, "generation_config.json: num_beams 0 must be at least 1"},
		{"generation early stopping", `{}`, `{"early_stopping": "sometimes"}`, `generation_config.json: early_stopping "sometimes": want true, false or "never"`},
		{"generation top_p", `{}`, `{"top_p": 0}`, "generation_config.json: top_p 0 must be in (0, 1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var gen []byte
			if tc.generation != "" {
				gen = []byte(tc.generation)
			}
			c, err := Parse([]byte(tc.config), gen)
			require.Nil(t, c)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	c, err := Parse([]byte(`{}`), nil)
	require.NoError(t, err)
	c.Vision.NumAttentionHeads = 0
	c.Text.HiddenSize = 770
	err = c.Validate()
	require.ErrorContains(t, err, "vision_config.num_attention_heads 0 must be positive")
	require.ErrorContains(t, err, "text_config.num_attention_heads 12 does not divide text_config.hidden_size 770")
}
