package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func gpt2Pieces(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		n := gpt2MatchLen(s[i:])
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

func TestGPT2Split(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"  two  spaces", []string{" ", " two", " ", " spaces"}},
		{"end  ", []string{"end", "  "}},
		{"a\tb", []string{"a", "\t", "b"}},
		{"a \t b", []string{"a", " \t", " b"}},
		{"I'm don't they'll we've 'd 'x", []string{"I", "'m", " don", "'t", " they", "'ll", " we", "'ve", " '", "d", " '", "x"}},
		{"It'S", []string{"It", "'", "S"}}, // case-sensitive
		{"3.14 x2", []string{"3", ".", "14", " x", "2"}},
		{"(ok?)", []string{"(", "ok", "?)"}},
		{" ?!", []string{" ?!"}},
		{"naïve 恐龙 😀😀", []string{"naïve", " 恐龙", " 😀😀"}},
		{"x\u3000y", []string{"x", "\u3000", "y"}},
		{" ", []string{" "}},
	} {
		require.Equal(t, c.want, gpt2Pieces(c.in), "%q", c.in)
	}
}

func TestGraphemeLen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"\r\nx", []string{"\r\n", "x"}},
		{"\n\r", []string{"\n", "\r"}},
		{"e\u0301\u0302a", []string{"e\u0301\u0302", "a"}},
		{"🇫🇷🇩🇪🇺", []string{"🇫🇷", "🇩🇪", "🇺"}},
		{"\u1100\u1161\u11A8각", []string{"\u1100\u1161\u11A8", "각"}},
		{"👩🏽‍💻!", []string{"👩🏽‍💻", "!"}},
		{"©\u200D©", []string{"©\u200D©"}},
		{"a\u200D©", []string{"a\u200D", "©"}},
		{"a\u0903b", []string{"a\u0903", "b"}},
		{"\u0600a", []string{"\u0600a"}},
		{"a\u0001\u0301", []string{"a", "\u0001", "\u0301"}},
	} {
		var got []string
		for s := c.in; s != ""; {
			n := graphemeLen(s)
			got = append(got, s[:n])
			s = s[n:]
		}
		require.Equal(t, c.want, got, "%q", c.in)
	}
}

func TestCleanUpTokenizationSpaces(t *testing.T) {
	require.Equal(t, "Hi, you're here. Isn't it? Yes! I'm'ok'",
		cleanUpTokenizationSpaces("Hi , you 're here . Is n't it ? Yes ! I 'm ' ok'"))

	t5, err := Load(filepath.Join(fixtureReal, "t5"))
	require.NoError(t, err)
	ids := []int{3, 9, 3, 5, 1} // "▁", "a", "▁", ".", "</s>"
	require.Equal(t, "a.", t5.Decode(ids, true), "the T5 folder turns clean-up on")
	require.Equal(t, "a .", t5.WithCleanUpTokenizationSpaces(false).Decode(ids, true))
	require.Equal(t, "a .</s>", t5.DecodeWith(ids, DecodeOptions{}))
	require.Equal(t, "a.", t5.DecodeWith(ids, DecodeOptions{SkipSpecialTokens: true, CleanUpTokenizationSpaces: true}))
	require.True(t, t5.CleanUpTokenizationSpaces(), "WithCleanUpTokenizationSpaces returns a copy")
}

func TestDecodeSkipsUnknownIDs(t *testing.T) {
	tok, err := Load(filepath.Join(fixtureTokenizers, "bpe-opt"))
	require.NoError(t, err)
	require.Equal(t, "a", tok.Decode([]int{-1, 68, 1 << 30}, false))
	require.Equal(t, "", tok.Decode(nil, false))
}

func TestConcurrentEncode(t *testing.T) {
	for _, dir := range []string{filepath.Join(fixtureReal, "opt"), filepath.Join(fixtureReal, "t5")} {
		tok, err := Load(dir)
		require.NoError(t, err)
		texts := []string{
			"Question: which city is this? Answer:", "a woman sitting on the beach with a dog",
			"café naïve über — “quoted”", "  two  spaces  and\ttabs\nnewline", "<image>a picture of",
		}
		want := make([][]int, len(texts))
		for i, s := range texts {
			want[i], err = tok.Encode(s, true)
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 50; k++ {
					i := (g + k) % len(texts)
					ids, err := tok.Encode(texts[i]+strings.Repeat(" again", k%3), true)
					if err != nil {
						errs <- err
						return
					}
					if k%3 == 0 && !equalInts(ids, want[i]) {
						errs <- &mismatch{texts[i]}
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
}

type mismatch struct{ text string }

func (m *mismatch) Error() string { return "concurrent encode of " + m.text + " differs" }

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFolderMerging(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(fixtureTokenizers, "bpe-opt", "tokenizer.json"))
	require.NoError(t, err)
	writeFile(t, dir, "tokenizer.json", string(src))
	writeFile(t, dir, "added_tokens.json", `{"<img2>": 430, "<image>": 420}`)
	writeFile(t, dir, "tokenizer_config.json", `{
		"clean_up_tokenization_spaces": true,
		"added_tokens_decoder": {"421": {"content": "<new>", "lstrip": false, "rstrip": true,
			"normalized": false, "single_word": false, "special": false}},
		"eos_token": "</s>",
		"extra_special_tokens": {"b": "<extra-b>", "a": "<extra-a>"}}`)
	writeFile(t, dir, "special_tokens_map.json", `{"mask_token": {"content": "<mask>", "lstrip": true},
		"additional_special_tokens": ["<new>"]}`)

	tok, err := Load(dir)
	require.NoError(t, err)
	require.True(t, tok.CleanUpTokenizationSpaces())
	for _, c := range []struct {
		tok string
		id  int
	}{{"<img2>", 430}, {"<image>", 420}, {"<new>", 421}, {"<extra-a>", 431}, {"<extra-b>", 432}, {"<mask>", 433}} {
		id, ok := tok.TokenToID(c.tok)
		require.True(t, ok, c.tok)
		require.Equal(t, c.id, id, c.tok)
		require.True(t, tok.IsSpecial(id), c.tok)
	}
	require.Equal(t, 426, tok.VocabSize()) // 420 in the BPE vocab, <image> and five more

	ids, tokens, err := tok.EncodeWithTokens("a <mask>red<new>  a<img2>", false)
	require.NoError(t, err)
	require.Equal(t, []int{68, 433, 337, 421, 68, 430}, ids)
	require.Equal(t, []string{"a", " <mask>", "red", "<new>  ", "a", "<img2>"}, tokens)
	require.Equal(t, "areda", tok.Decode(ids, true)) // the stripped spaces belong to <new>
}
