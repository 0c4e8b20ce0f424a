package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The shared fixtures: goldens made by transformers.js from these files and
// checked against transformers' own test ids (see their SOURCES.md).
const (
	fixtureTokenizers = "../../testdata/tokenizers"
	fixtureReal       = "../../testdata/real-tokenizers"
	fixtureConfigs    = "../../testdata/real-configs"
)

type tinyCase struct {
	Text               string   `json:"text"`
	IDs                []int    `json:"ids"`
	Tokens             []string `json:"tokens"`
	IDsNoSpecial       []int    `json:"ids_no_special"`
	Decoded            string   `json:"decoded"`
	DecodedKeepSpecial string   `json:"decoded_keep_special"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), path)
}

// loadings gives the ways a fixture is loaded: the tokenizer.json alone and,
// where the folder has more, the whole folder.
func loadings(t *testing.T, dir string) map[string]*Tokenizer {
	t.Helper()
	out := map[string]*Tokenizer{}
	file, err := Load(filepath.Join(dir, "tokenizer.json"))
	require.NoError(t, err)
	out["file"] = file
	folder, err := Load(dir)
	require.NoError(t, err)
	out["folder"] = folder
	return out
}

func TestGoldensSynthetic(t *testing.T) {
	var goldens map[string][]tinyCase
	readJSON(t, filepath.Join(fixtureTokenizers, "goldens.json"), &goldens)
	require.Len(t, goldens, 2)
	kinds := map[string]string{"bpe-opt": "bpe", "unigram-t5": "unigram"}
	for name, cases := range goldens {
		require.NotEmpty(t, cases, name)
		for how, tok := range loadings(t, filepath.Join(fixtureTokenizers, name)) {
			require.Equal(t, kinds[name], tok.Kind(), name)
			for _, c := range cases {
				t.Run(name+"/"+how+"/"+c.Text, func(t *testing.T) {
					ids, tokens, err := tok.EncodeWithTokens(c.Text, true)
					require.NoError(t, err)
					require.Equal(t, c.IDs, ids, "ids")
					require.Equal(t, c.Tokens, tokens, "tokens")
					plain, err := tok.Encode(c.Text, false)
					require.NoError(t, err)
					require.Equal(t, c.IDsNoSpecial, plain, "ids without special tokens")
					require.Equal(t, c.Decoded, tok.Decode(c.IDs, true), "decode skipping special tokens")
					require.Equal(t, c.DecodedKeepSpecial, tok.Decode(c.IDs, false), "decode keeping special tokens")
				})
			}
		}
	}
}

type realGoldens struct {
	Checks map[string]struct {
		Expected json.RawMessage `json:"expected"`
	} `json:"checks"`
	Tokenizers map[string]struct {
		File               string `json:"file"`
		VocabSizeInclAdded int    `json:"vocab_size_incl_added"`
		Cases              []struct {
			Text               string   `json:"text"`
			IDs                []int    `json:"ids"`
			Tokens             []string `json:"tokens"`
			TokensFromIDs      []string `json:"tokens_from_ids"`
			DecodedSkipSpecial string   `json:"decoded_skip_special"`
			DecodedWithSpecial string   `json:"decoded_with_special"`
		} `json:"cases"`
	} `json:"tokenizers"`
}

func TestGoldensReal(t *testing.T) {
	var g realGoldens
	readJSON(t, filepath.Join(fixtureReal, "goldens.json"), &g)
	require.Len(t, g.Tokenizers, 3)
	kinds := map[string]string{"opt": "bpe", "t5": "unigram", "blip2-flan-t5-xl": "unigram"}
	for name, spec := range g.Tokenizers {
		require.NotEmpty(t, spec.Cases, name)
		file := filepath.Join(fixtureReal, spec.File)
		for how, tok := range loadings(t, filepath.Dir(file)) {
			require.Equal(t, kinds[name], tok.Kind(), name)
			if how == "file" {
				require.Equal(t, spec.VocabSizeInclAdded, tok.VocabSize(), name)
			}
			for _, c := range spec.Cases {
				t.Run(name+"/"+how+"/"+c.Text, func(t *testing.T) {
					ids, tokens, err := tok.EncodeWithTokens(c.Text, true)
					require.NoError(t, err)
					require.Equal(t, c.IDs, ids, "ids")
					require.Equal(t, c.Tokens, tokens, "tokens")
					fromIDs := c.TokensFromIDs
					if fromIDs == nil {
						fromIDs = c.Tokens // given only where they differ
					}
					for i, id := range ids {
						s, ok := tok.IDToToken(id)
						require.True(t, ok, "id %d", id)
						require.Equal(t, fromIDs[i], s, "token of id %d", id)
					}
					require.Equal(t, c.DecodedSkipSpecial, tok.Decode(c.IDs, true), "decode skipping special tokens")
					require.Equal(t, c.DecodedWithSpecial, tok.Decode(c.IDs, false), "decode keeping special tokens")
				})
			}
		}
	}
}

// TestGoldensRealChecks replays the checks transformers.js ran against
// transformers' own integration tests.
func TestGoldensRealChecks(t *testing.T) {
	var g realGoldens
	readJSON(t, filepath.Join(fixtureReal, "goldens.json"), &g)
	opt, err := Load(filepath.Join(fixtureReal, "opt"))
	require.NoError(t, err)
	t5, err := Load(filepath.Join(fixtureReal, "t5"))
	require.NoError(t, err)

	var wantIDs []int
	require.NoError(t, json.Unmarshal(g.Checks["opt_encode"].Expected, &wantIDs))
	ids, err := opt.Encode("Question: which city is this? Answer:", true)
	require.NoError(t, err)
	require.Equal(t, wantIDs, ids)

	var want string
	require.NoError(t, json.Unmarshal(g.Checks["opt_decode"].Expected, &want))
	require.Equal(t, want, opt.Decode([]int{102, 693, 2828, 15, 5, 4105, 19, 10, 2335}, true))

	require.NoError(t, json.Unmarshal(g.Checks["t5_decode"].Expected, &want))
	require.Equal(t, want, t5.Decode([]int{0, 3, 7, 152, 67, 839, 1}, true))
}

// The older BLIP-2 Flan-T5 layout keeps <image> = 32100 only in
// added_tokens.json: loading the folder must add it as a special token.
func TestFlanT5FolderAddsImageToken(t *testing.T) {
	dir := filepath.Join(fixtureConfigs, "blip2-flan-t5-xl")
	file, err := Load(filepath.Join(dir, "tokenizer.json"))
	require.NoError(t, err)
	_, ok := file.TokenToID("<image>")
	require.False(t, ok, "the tokenizer.json alone has no <image>")

	tok, err := Load(dir)
	require.NoError(t, err)
	id, ok := tok.TokenToID("<image>")
	require.True(t, ok)
	require.Equal(t, 32100, id)
	require.True(t, tok.IsSpecial(32100))
	require.Equal(t, 32101, tok.VocabSize())
	s, ok := tok.IDToToken(32100)
	require.True(t, ok)
	require.Equal(t, "<image>", s)

	ids, tokens, err := tok.EncodeWithTokens("<image><image>Question: what is this? Answer:", true)
	require.NoError(t, err)
	require.Equal(t, []int{32100, 32100, 11860, 10, 125, 19, 48, 58, 11801, 10, 1}, ids)
	require.Equal(t, []string{"<image>", "<image>", "▁Question", ":", "▁what", "▁is", "▁this", "?", "▁Answer", ":", "</s>"}, tokens)
	require.Equal(t, "Question: what is this? Answer:", tok.Decode(ids, true))
	require.Equal(t, "<image><image> Question: what is this? Answer:</s>", tok.Decode(ids, false))
}

func TestSpecialTokensAndVocab(t *testing.T) {
	opt, err := Load(filepath.Join(fixtureReal, "opt"))
	require.NoError(t, err)
	require.Equal(t, 50266, opt.VocabSize())
	for _, c := range []struct {
		tok     string
		id      int
		special bool
	}{
		{"</s>", 2, true}, {"<pad>", 1, true}, {"<image>", 50265, true}, {"Ġthe", 5, false}, {"<s>", 0, false},
	} {
		id, ok := opt.TokenToID(c.tok)
		require.True(t, ok, c.tok)
		require.Equal(t, c.id, id, c.tok)
		require.Equal(t, c.special, opt.IsSpecial(id), c.tok)
	}
	_, ok := opt.IDToToken(60000)
	require.False(t, ok)
	_, ok = opt.TokenToID("no such token")
	require.False(t, ok)

	t5, err := Load(filepath.Join(fixtureReal, "t5"))
	require.NoError(t, err)
	require.True(t, t5.CleanUpTokenizationSpaces(), "t5 tokenizer_config sets clean_up_tokenization_spaces")
	require.False(t, opt.CleanUpTokenizationSpaces(), "opt tokenizer_config clears it")
	for _, tok := range []string{"<pad>", "</s>", "<unk>", "<extra_id_0>", "<extra_id_99>"} {
		id, ok := t5.TokenToID(tok)
		require.True(t, ok, tok)
		require.True(t, t5.IsSpecial(id), tok)
	}
	id, _ := t5.TokenToID("<extra_id_0>")
	require.Equal(t, 32099, id)
	require.False(t, t5.IsSpecial(3))
}
