package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuantizeRowsIsSymmetricPerRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows, cols := 7, 33
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) * float32(1+i/cols) // each row its own range
	}
	for i := 0; i < cols; i++ {
		w[3*cols+i] = 0 // an all-zero row
	}
	q, s := QuantizeRows(w, rows, cols)
	require.Len(t, s, rows)
	require.Zero(t, s[3])
	back := Dequantize(q, s, cols)
	for r := 0; r < rows; r++ {
		var amax float64
		for _, v := range w[r*cols : (r+1)*cols] {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		if r != 3 {
			require.InDelta(t, amax/127, s[r], 1e-7)
		}
		for i := r * cols; i < (r+1)*cols; i++ {
			require.LessOrEqual(t, math.Abs(float64(back[i]-w[i])), float64(s[r])/2+1e-6, "row %d col %d", r, i%cols)
			require.GreaterOrEqual(t, q[i], int8(-127))
		}
	}
}

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shape  []int
		lmW8A8 bool
		want   Role
	}{
		{"vision_model.encoder.layers.0.self_attn.qkv.weight", []int{576, 192}, false, W8A8},
		{"vision_model.encoder.layers.0.self_attn.qkv.bias", []int{576}, false, Keep},
		{"vision_model.encoder.layers.0.layer_norm1.weight", []int{192}, false, Keep},
		{"vision_model.embeddings.patch_embedding.weight", []int{192, 3, 16, 16}, false, Keep},
		{"vision_model.embeddings.position_embedding", []int{1, 197, 192}, false, Keep},
		{"qformer.encoder.layer.0.crossattention.attention.key.weight", []int{192, 192}, false, W8A8},
		{"query_tokens", []int{1, 16, 192}, false, Keep},
		{"language_projection.weight", []int{192, 192}, false, WeightOnly},
		{"language_model.model.decoder.layers.0.fc1.weight", []int{768, 192}, false, WeightOnly},
		{"language_model.model.decoder.layers.0.fc1.weight", []int{768, 192}, true, W8A8},
		{"language_model.model.decoder.embed_tokens.weight", []int{432, 192}, true, WeightOnly},
		{"language_model.model.decoder.embed_positions.weight", []int{130, 192}, false, Keep},
		{"language_model.encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", []int{32, 4}, false, Keep},
		{"language_model.lm_head.weight", []int{144, 64}, true, WeightOnly},
	} {
		require.Equal(t, tc.want, RoleOf(tc.name, tc.shape, tc.lmW8A8), tc.name)
	}
}
