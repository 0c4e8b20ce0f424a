package blip2

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/quant"
)

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shape  []int
		lmW8A8 bool
		want   quant.Role
	}{
		{"vision_model.encoder.layers.0.self_attn.qkv.weight", []int{576, 192}, false, quant.W8A8},
		{"vision_model.encoder.layers.0.self_attn.qkv.bias", []int{576}, false, quant.Keep},
		{"vision_model.encoder.layers.0.layer_norm1.weight", []int{192}, false, quant.Keep},
		{"vision_model.embeddings.patch_embedding.weight", []int{192, 3, 16, 16}, false, quant.Keep},
		{"vision_model.embeddings.position_embedding", []int{1, 197, 192}, false, quant.Keep},
		{"qformer.encoder.layer.0.crossattention.attention.key.weight", []int{192, 192}, false, quant.W8A8},
		{"query_tokens", []int{1, 16, 192}, false, quant.Keep},
		{"language_projection.weight", []int{192, 192}, false, quant.WeightOnly},
		{"language_model.model.decoder.layers.0.fc1.weight", []int{768, 192}, false, quant.WeightOnly},
		{"language_model.model.decoder.layers.0.fc1.weight", []int{768, 192}, true, quant.W8A8},
		{"language_model.model.decoder.embed_tokens.weight", []int{432, 192}, true, quant.WeightOnly},
		{"language_model.model.decoder.embed_positions.weight", []int{130, 192}, false, quant.Keep},
		{"language_model.encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", []int{32, 4}, false, quant.Keep},
		{"language_model.lm_head.weight", []int{144, 64}, true, quant.WeightOnly},
	} {
		require.Equal(t, tc.want, QuantPlan(tc.lmW8A8).Role(tc.name, tc.shape), tc.name)
	}
	require.Equal(t, []string{"vision_model.encoder.", "qformer.encoder.", "language_projection.", "language_model."}, QuantPlan(true).W8A8)
	require.Nil(t, QuantPlan(true).WeightOnly)
}
