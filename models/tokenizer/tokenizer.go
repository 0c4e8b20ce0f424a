// Package tokenizer loads a Hugging Face tokenizer.json and encodes and
// decodes text exactly as the tokenizers library (and so transformers) does,
// for the two families BLIP-2 uses: byte-level BPE (GPT-2, OPT) and
// SentencePiece Unigram (T5, Flan-T5).
//
// The pipeline is tokenizers' own: added tokens are cut out of the raw text,
// the rest is normalized, pre-tokenized and run through the model, and a
// post-processor adds the special tokens. A Tokenizer is safe for concurrent
// use; its only mutable part is a per-Tokenizer cache of merged BPE words.
//
// Its room in docs/architecture.md: formats: imports nothing of the project.
package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tokenizer encodes text to token ids and decodes ids to text.
type Tokenizer struct {
	model      model
	normalizer normalizer    // nil: none
	pre        preTokenizer  // nil: none
	post       postProcessor // nil: none
	decoder    decoder       // nil: tokens joined with spaces
	added      *addedVocab
	cleanUp    bool // transformers' clean_up_tokenization_spaces
	vocabSize  int
}

// model is the tokenization model: BPE or Unigram.
type model interface {
	kind() string
	tokenize(word string, enc *encoding) error
	tokenToID(tok string) (int, bool)
	idToToken(id int) (string, bool)
	vocabStrings() int // distinct tokens in the vocabulary
	forEachToken(fn func(tok string))
}

// DecodeOptions controls DecodeWith.
type DecodeOptions struct {
	// SkipSpecialTokens drops the ids of special added tokens.
	SkipSpecialTokens bool
	// CleanUpTokenizationSpaces removes spaces before punctuation and
	// contractions (" ." -> ".", " 's" -> "'s"), as transformers does when
	// tokenizer_config.json sets clean_up_tokenization_spaces.
	CleanUpTokenizationSpaces bool
}

// Kind returns "bpe" or "unigram".
func (t *Tokenizer) Kind() string { return t.model.kind() }

// VocabSize returns the number of distinct tokens, added tokens included
// (tokenizers' get_vocab_size(true), transformers' len(tokenizer)).
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// CleanUpTokenizationSpaces reports the clean-up setting Decode uses: the
// tokenizer_config.json value when Load found one, false otherwise.
func (t *Tokenizer) CleanUpTokenizationSpaces() bool { return t.cleanUp }

// WithCleanUpTokenizationSpaces returns a Tokenizer sharing t's tables whose
// Decode applies (or not) transformers' clean-up.
func (t *Tokenizer) WithCleanUpTokenizationSpaces(on bool) *Tokenizer {
	c := *t
	c.cleanUp = on
	return &c
}

// TokenToID returns the id of a token (added tokens first, then the model's
// vocabulary).
func (t *Tokenizer) TokenToID(tok string) (int, bool) {
	if id, ok := t.added.byContent[tok]; ok {
		return id, true
	}
	return t.model.tokenToID(tok)
}

// IDToToken returns the token of an id (added tokens first).
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if tok, ok := t.added.byID[id]; ok {
		return tok.content, true
	}
	return t.model.idToToken(id)
}

// IsSpecial reports whether id is a special token, one that Decode drops
// when skipping special tokens.
func (t *Tokenizer) IsSpecial(id int) bool {
	tok, ok := t.decodeToken(id)
	return ok && t.added.special[tok]
}

func (t *Tokenizer) decodeToken(id int) (string, bool) {
	if s, ok := t.added.decodeString(id); ok {
		return s, true
	}
	return t.model.idToToken(id)
}

// Encode returns the ids of text; addSpecialTokens applies the
// post-processor (OPT prepends </s>, T5 appends </s>). Text must be valid
// UTF-8.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) ([]int, error) {
	enc, err := t.encode(text, addSpecialTokens, false)
	return enc.ids, err
}

// EncodeWithTokens is Encode that also returns each id's token as the model
// produced it (for an unknown Unigram piece, the raw text, not "<unk>").
func (t *Tokenizer) EncodeWithTokens(text string, addSpecialTokens bool) (ids []int, tokens []string, err error) {
	enc, err := t.encode(text, addSpecialTokens, true)
	return enc.ids, enc.tokens, err
}

func (t *Tokenizer) encode(text string, addSpecial, wantTokens bool) (encoding, error) {
	if !utf8.ValidString(text) {
		return encoding{}, fmt.Errorf("tokenizer: encode %s: text is not valid UTF-8", quoteShort(text))
	}
	enc := encoding{wantTokens: wantTokens, ids: make([]int, 0, len(text)/3+4)}
	if wantTokens {
		enc.tokens = make([]string, 0, cap(enc.ids))
	}
	for _, seg := range t.added.raw.split(text) {
		piece := text[seg.start:seg.end]
		if seg.tok != nil {
			enc.add(seg.tok.id, piece)
			continue
		}
		atStart := seg.start == 0
		if t.normalizer != nil {
			var keeps bool
			piece, keeps = t.normalizer.normalize(piece)
			atStart = atStart && keeps
		}
		for _, nseg := range t.added.norm.split(piece) {
			sub := piece[nseg.start:nseg.end]
			if nseg.tok != nil {
				enc.add(nseg.tok.id, sub)
				continue
			}
			splits := []split{{sub, atStart && nseg.start == 0}}
			if t.pre != nil {
				splits = preTokenize(t.pre, splits)
			}
			for _, sp := range splits {
				if err := t.model.tokenize(sp.text, &enc); err != nil {
					return encoding{}, fmt.Errorf("tokenizer: encode %s: %w", quoteShort(text), err)
				}
			}
		}
	}
	if addSpecial && t.post != nil {
		enc = t.post.process(enc)
	}
	if enc.ids == nil {
		enc.ids = []int{}
	}
	if wantTokens && enc.tokens == nil {
		enc.tokens = []string{}
	}
	return enc, nil
}

// quoteShort quotes text for an error message, cut to a readable length.
func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		return fmt.Sprintf("%q… (%d bytes)", s[:limit], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Decode returns the text of ids; skipSpecialTokens drops special tokens.
// Ids the vocabulary does not have are skipped, as tokenizers does. The
// clean-up of tokenization spaces follows CleanUpTokenizationSpaces.
func (t *Tokenizer) Decode(ids []int, skipSpecialTokens bool) string {
	return t.DecodeWith(ids, DecodeOptions{SkipSpecialTokens: skipSpecialTokens, CleanUpTokenizationSpaces: t.cleanUp})
}

// DecodeWith is Decode with every option explicit.
func (t *Tokenizer) DecodeWith(ids []int, opts DecodeOptions) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := t.decodeToken(id)
		if !ok || opts.SkipSpecialTokens && t.added.special[tok] {
			continue
		}
		tokens = append(tokens, tok)
	}
	var text string
	if t.decoder != nil {
		text = strings.Join(t.decoder.decodeChain(tokens), "")
	} else {
		text = strings.Join(tokens, " ")
	}
	if opts.CleanUpTokenizationSpaces {
		text = cleanUpTokenizationSpaces(text)
	}
	return text
}
