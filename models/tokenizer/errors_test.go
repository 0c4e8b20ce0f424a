package tokenizer

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()

	missing := filepath.Join(dir, "nope", "tokenizer.json")
	_, err := Load(missing)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, missing)

	empty := t.TempDir() // a folder without tokenizer.json
	_, err = Load(empty)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, filepath.Join(empty, "tokenizer.json"))

	bad := writeFile(t, dir, "bad.json", `{"model": {"type": "BPE", `)
	_, err = Load(bad)
	require.ErrorContains(t, err, bad)
	require.ErrorContains(t, err, "malformed JSON")

	wordPiece := writeFile(t, dir, "wp.json", `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`)
	_, err = Load(wordPiece)
	require.ErrorContains(t, err, wordPiece)
	require.ErrorContains(t, err, `model type "WordPiece" is not supported`)

	// A folder whose tokenizer_config.json is broken names that file.
	folder := t.TempDir()
	src, err := os.ReadFile(filepath.Join(fixtureTokenizers, "bpe-opt", "tokenizer.json"))
	require.NoError(t, err)
	writeFile(t, folder, "tokenizer.json", string(src))
	cfg := writeFile(t, folder, "tokenizer_config.json", `{"bos_token": `)
	_, err = Load(folder)
	require.ErrorContains(t, err, cfg)
	require.ErrorContains(t, err, "malformed JSON")
}

func TestParseErrors(t *testing.T) {
	const bpeModel = `"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}`
	for _, c := range []struct {
		name, json, want string
	}{
		{"malformed", `{"model": `, "malformed JSON"},
		{"not an object", `[1, 2]`, "malformed JSON"},
		{"no model", `{"normalizer": null}`, "no model"},
		{"unknown model type", `{"model": {"type": "WordLevel", "vocab": {}}}`, `model type "WordLevel" is not supported`},
		{"untyped unknown model", `{"model": {"vocab": {"a": 0}}}`, "neither BPE"},
		{"merge outside vocab", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}}`, `"c" is not in the vocab`},
		{"merge result outside vocab", `{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}`, `result "ab" is not in the vocab`},
		{"bad merge line", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}`, "not two tokens"},
		{"unk outside vocab", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}}`, "unk_token"},
		{"negative id", `{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}`, "out of range"},
		{"unigram unk out of range", `{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["a", -1.0]]}}`, "unk_id 5"},
		{"unigram bad entry", `{"model": {"type": "Unigram", "vocab": [["a"]]}}`, "not [piece, score]"},
		{"unigram empty", `{"model": {"type": "Unigram", "vocab": []}}`, "empty vocab"},
		{"normalizer", `{"normalizer": {"type": "BertNormalizer"}, ` + bpeModel + `}`, `normalizer type "BertNormalizer"`},
		{"pre_tokenizer", `{"pre_tokenizer": {"type": "Digits"}, ` + bpeModel + `}`, `pre_tokenizer type "Digits"`},
		{"decoder", `{"decoder": {"type": "WordPiece"}, ` + bpeModel + `}`, `decoder type "WordPiece"`},
		{"post_processor", `{"post_processor": {"type": "Nope"}, ` + bpeModel + `}`, `post_processor type "Nope"`},
		{"template token", `{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "</s>"}}], "special_tokens": {}}, ` + bpeModel + `}`, `special token "</s>"`},
		{"charsmap not base64", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "%%%"}, ` + bpeModel + `}`, "not base64"},
		{"charsmap truncated", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "/////w=="}, ` + bpeModel + `}`, "does not fit"},
		{"replace regex", `{"normalizer": {"type": "Replace", "pattern": {"Regex": "(?<=a)b"}, "content": ""}, ` + bpeModel + `}`, "pattern"},
		{"prepend scheme", `{"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}, ` + bpeModel + `}`, "prepend_scheme"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			require.Error(t, err)
			require.ErrorContains(t, err, "tokenizer JSON")
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tok, err := Load(filepath.Join(fixtureReal, "opt"))
	require.NoError(t, err)
	_, err = tok.Encode("ok \xff\xfe", true)
	require.ErrorContains(t, err, "not valid UTF-8")
	_, err = tok.Encode(strings.Repeat("x", 100)+"\xc3", false)
	require.ErrorContains(t, err, "(101 bytes)")

	// A Unigram model without unk_id cannot encode characters it lacks.
	noUnk, err := Parse([]byte(`{"model": {"type": "Unigram", "vocab": [["a", -1.0], ["b", -2.0]]}}`))
	require.NoError(t, err)
	ids, err := noUnk.Encode("ab", false)
	require.NoError(t, err)
	require.Equal(t, []int{0, 1}, ids)
	_, err = noUnk.Encode("abc", false)
	require.ErrorContains(t, err, `"c"`)
	require.ErrorContains(t, err, "no unk_id")
}
