package blip2

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/tokenizer"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
)

// TestRealCheckpointsBindExactlyTheirTensors checks, without the 15 GB of weights, that
// the tensors the model binds for the real hub configs are exactly those the real
// model.safetensors.index.json lists.
func TestRealCheckpointsBindExactlyTheirTensors(t *testing.T) {
	for _, name := range []string{"blip2-opt-2.7b", "blip2-flan-t5-xl"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(testdata, "real-configs", name)
			cfg, err := hfconfig.Load(dir)
			require.NoError(t, err)
			raw, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
			require.NoError(t, err)
			var index struct {
				WeightMap map[string]string `json:"weight_map"`
			}
			require.NoError(t, json.Unmarshal(raw, &index))
			var want, got []string
			for n := range index.WeightMap {
				want = append(want, n)
			}
			specs := ExpectedTensors(cfg)
			for _, s := range specs {
				got = append(got, s.Name)
			}
			sort.Strings(want)
			sort.Strings(got)
			require.Empty(t, missing(want, got), "tensors the index lists that the model does not bind")
			require.Empty(t, missing(got, want), "tensors the model binds that the index does not list")
			require.Equal(t, len(want), len(got))
			shapes := map[string][]int{}
			for _, s := range specs {
				shapes[s.Name] = s.Shape
			}
			// Shapes the config implies, spot-checked against the numerics spec.
			switch name {
			case "blip2-opt-2.7b":
				require.Equal(t, []int{50304, 2560}, shapes["language_model.model.decoder.embed_tokens.weight"])
				require.Equal(t, []int{2050, 2560}, shapes["language_model.model.decoder.embed_positions.weight"])
				require.Equal(t, []int{2560, 768}, shapes["language_projection.weight"])
				require.Equal(t, []int{4224, 1408}, shapes["vision_model.encoder.layers.38.self_attn.qkv.weight"])
				require.Equal(t, []int{768, 1408}, shapes["qformer.encoder.layer.10.crossattention.attention.key.weight"])
				require.Equal(t, []int{1, 32, 768}, shapes["query_tokens"])
			case "blip2-flan-t5-xl":
				require.Equal(t, []int{32128, 2048}, shapes["language_model.lm_head.weight"])
				require.Equal(t, []int{5120, 2048}, shapes["language_model.decoder.block.23.layer.2.DenseReluDense.wi_1.weight"])
				require.Equal(t, []int{32, 32}, shapes["language_model.encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"])
				require.Equal(t, []int{2048, 768}, shapes["language_projection.weight"])
			}
			var params int64
			for _, p := range ParameterCounts(cfg) {
				params += p.Params
			}
			t.Logf("%s: %d tensors, %d parameters", name, len(specs), params)
		})
	}
}

// TestBothLayoutsGiveTheSameLanguageModelInput builds the language-model input for the
// current layout (image tokens in the ids, replaced in place) and the older one (prefix
// concatenated in front) with the real tokenizers, and checks both are prefix then prompt.
func TestBothLayoutsGiveTheSameLanguageModelInput(t *testing.T) {
	for _, name := range []string{"blip2-opt-2.7b", "blip2-flan-t5-xl"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(testdata, "real-configs", name)
			cfg, err := hfconfig.Load(dir)
			require.NoError(t, err)
			tokDir := dir
			if name == "blip2-opt-2.7b" {
				tokDir = filepath.Join(testdata, "real-tokenizers", "opt")
			}
			tok, err := tokenizer.Load(tokDir)
			require.NoError(t, err)
			be := cpu.New(1)
			lm := &fakeEmbedLM{dim: 4, vocab: 60000, be: be}
			m := &Model{Config: cfg, Tokenizer: tok, LM: lm, Backend: be}
			prompt := "Question: which city is this? Answer:"
			ids, err := m.InputIDs(prompt)
			require.NoError(t, err)
			text, err := tok.Encode(prompt, true)
			require.NoError(t, err)
			if cfg.ImageTokenIndex >= 0 {
				require.Len(t, ids, cfg.NumQueryTokens+len(text))
				require.Equal(t, cfg.ImageTokenIndex, ids[0])
			} else {
				require.Equal(t, text, ids)
			}
			prefixValues := make([]float32, cfg.NumQueryTokens*4)
			for i := range prefixValues {
				prefixValues[i] = -float32(i + 1)
			}
			prefix := be.FromHost(prefixValues, cfg.NumQueryTokens, 4)
			emb, err := m.InputEmbeddings(prefix, ids)
			require.NoError(t, err)
			require.Equal(t, cfg.NumQueryTokens+len(text), emb.Rows())
			embValues := be.Host(emb, nil)
			require.Equal(t, prefixValues, embValues[:len(prefixValues)], "image prefix first")
			want, err := lm.Embed(text)
			require.NoError(t, err)
			require.Equal(t, be.Host(want, nil), embValues[len(prefixValues):], "then the prompt")

			// The other layout on the same config gives the same rows.
			other := *cfg
			if cfg.ImageTokenIndex >= 0 {
				other.ImageTokenIndex = -1
			} else {
				other.ImageTokenIndex = 32100
			}
			m2 := &Model{Config: &other, Tokenizer: tok, LM: lm, Backend: be}
			ids2, err := m2.InputIDs(prompt)
			require.NoError(t, err)
			emb2, err := m2.InputEmbeddings(prefix, ids2)
			require.NoError(t, err)
			require.Equal(t, embValues, be.Host(emb2, nil))
		})
	}
}

// fakeEmbedLM embeds id i as the row [i, i+0.25, i+0.5, i+0.75]: enough to see which ids
// went where without a 15 GB embedding table.
type fakeEmbedLM struct {
	dim, vocab int
	be         runtime.Backend
}

func (f *fakeEmbedLM) Embed(ids []int) (*runtime.Tensor, error) {
	v := make([]float32, len(ids)*f.dim)
	for i, id := range ids {
		for j := 0; j < f.dim; j++ {
			v[i*f.dim+j] = float32(id) + float32(j)/float32(f.dim)
		}
	}
	return f.be.FromHost(v, len(ids), f.dim), nil
}
func (f *fakeEmbedLM) Start(*runtime.Tensor, int, bool) (runtime.Sequence, *runtime.Tensor, error) {
	return nil, nil, nil
}
func (f *fakeEmbedLM) VocabSize() int     { return f.vocab }
func (f *fakeEmbedLM) ContextLength() int { return 512 }

// missing lists the names in a that b lacks.
func missing(a, b []string) []string {
	in := map[string]bool{}
	for _, n := range b {
		in[n] = true
	}
	var out []string
	for _, n := range a {
		if !in[n] {
			out = append(out, n)
		}
	}
	return out
}
