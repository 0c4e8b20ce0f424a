package tokenizer

import (
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks, on the real OPT and T5 tokenizers, that Encode never
// panics, refuses invalid UTF-8, returns only ids the vocabulary has, and
// that byte-level BPE round-trips: Decode(Encode(s)) == s.
func FuzzEncode(f *testing.F) {
	var tiny map[string][]tinyCase
	readJSON(f, filepath.Join(fixtureTokenizers, "goldens.json"), &tiny)
	for _, cases := range tiny {
		for _, c := range cases {
			f.Add(c.Text)
		}
	}
	var real realGoldens
	readJSON(f, filepath.Join(fixtureReal, "goldens.json"), &real)
	for _, spec := range real.Tokenizers {
		for _, c := range spec.Cases {
			f.Add(c.Text)
		}
	}
	f.Add("a\r\nb</s><image> <pad>\u0000\xff")

	opt, err := Load(filepath.Join(fixtureReal, "opt"))
	if err != nil {
		f.Fatal(err)
	}
	t5, err := Load(filepath.Join(fixtureReal, "t5"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{opt, t5} {
			for _, special := range []bool{false, true} {
				ids, err := tok.Encode(s, special)
				if !utf8.ValidString(s) {
					if err == nil {
						t.Fatalf("%s: Encode(%q) accepted invalid UTF-8", tok.Kind(), s)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Encode(%q): %v", tok.Kind(), s, err)
				}
				for _, id := range ids {
					if _, ok := tok.IDToToken(id); !ok || id < 0 || id >= tok.VocabSize() {
						t.Fatalf("%s: Encode(%q) gave id %d outside the vocabulary", tok.Kind(), s, id)
					}
				}
				_ = tok.Decode(ids, true)
				if tok.Kind() == "bpe" && !special {
					if got := tok.Decode(ids, false); got != s {
						t.Fatalf("bpe: Decode(Encode(%q)) = %q", s, got)
					}
				}
			}
		}
	})
}
