package tokenizer

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// oracle.json was written by Hugging Face tokenizers itself (the Rust
// library, 0.23.2) from tricky and random texts; testdata/gen_oracle.js
// says how. It covers the fixtures and testdata/variants, which reach the
// options the fixtures leave alone (prepend_scheme first, Strip, split
// false, byte_fallback, add_prefix_space, ignore_merges, "a b" merges,
// lstrip / rstrip / single_word / normalized added tokens, no model type).
type oracleFile struct {
	ByteDecodes []struct {
		IDs     []int  `json:"ids"`
		Decoded string `json:"decoded"`
	} `json:"byte_decodes"`
	Tokenizers map[string]struct {
		File      string `json:"file"`
		VocabSize int    `json:"vocab_size"`
		Cases     []struct {
			Text        string   `json:"text"`
			IDs         []int    `json:"ids"`
			Tokens      []string `json:"tokens"`
			IDsPlain    []int    `json:"ids_plain"`
			DecodedSkip string   `json:"decoded_skip"`
			DecodedKeep string   `json:"decoded_keep"`
		} `json:"cases"`
	} `json:"tokenizers"`
}

func TestRustOracle(t *testing.T) {
	var o oracleFile
	readJSON(t, filepath.Join("testdata", "oracle.json"), &o)
	require.Len(t, o.Tokenizers, 8)
	for name, spec := range o.Tokenizers {
		t.Run(name, func(t *testing.T) {
			tok, err := Load(filepath.Join("testdata", spec.File))
			require.NoError(t, err)
			require.Equal(t, spec.VocabSize, tok.VocabSize())
			require.Greater(t, len(spec.Cases), 200)
			for i, c := range spec.Cases {
				where := strconv.Itoa(i) + ": " + strconv.Quote(c.Text)
				ids, tokens, err := tok.EncodeWithTokens(c.Text, true)
				require.NoError(t, err, where)
				require.Equal(t, c.IDs, ids, where)
				require.Equal(t, c.Tokens, tokens, where)
				plain, err := tok.Encode(c.Text, false)
				require.NoError(t, err, where)
				require.Equal(t, c.IDsPlain, plain, where)
				require.Equal(t, c.DecodedSkip, tok.Decode(c.IDs, true), where)
				require.Equal(t, c.DecodedKeep, tok.Decode(c.IDs, false), where)
			}
		})
	}
}

// Byte-level decoding of invalid UTF-8 must replace exactly as Rust's
// from_utf8_lossy does: one U+FFFD per maximal invalid subsequence.
func TestRustOracleInvalidUTF8Decode(t *testing.T) {
	var o oracleFile
	readJSON(t, filepath.Join("testdata", "oracle.json"), &o)
	require.NotEmpty(t, o.ByteDecodes)
	tok, err := Load(filepath.Join(fixtureReal, "opt"))
	require.NoError(t, err)
	for _, c := range o.ByteDecodes {
		require.Equal(t, c.Decoded, tok.Decode(c.IDs, false), "ids %v", c.IDs)
	}
}
