package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// fileJSON is the part of tokenizer.json we read; truncation and padding
// are left to the caller.
type fileJSON struct {
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         json.RawMessage  `json:"model"`
}

type addedTokenJSON struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"` // default: not special
	Special    bool   `json:"special"`
}

// Parse builds a Tokenizer from the contents of a tokenizer.json.
func Parse(tokenizerJSON []byte) (*Tokenizer, error) {
	return parse(tokenizerJSON, fmt.Sprintf("tokenizer JSON (%d bytes)", len(tokenizerJSON)))
}

// Load reads a tokenizer.json file, or a folder holding one. From a folder
// it also merges what tokenizer_config.json, special_tokens_map.json and
// added_tokens.json add, as transformers does: extra added tokens (such as
// BLIP-2 Flan-T5's <image> = 32100, which only added_tokens.json holds),
// which tokens are special, and clean_up_tokenization_spaces.
func Load(path string) (*Tokenizer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	}
	file := path
	if info.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", file, err)
	}
	t, err := parse(data, file)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		if err := t.mergeFolder(path); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func parse(data []byte, name string) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: malformed JSON: %w", name, err)
	}
	m, err := parseModel(f.Model)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	t := &Tokenizer{model: m, added: newAddedVocab()}
	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	if t.post, err = parsePostProcessor(f.PostProcessor); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	if t.decoder, err = parseDecoder(f.Decoder); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	for i, a := range f.AddedTokens {
		if a.Content == "" {
			continue // tokenizers ignores empty added tokens
		}
		if a.ID < 0 || a.ID >= maxVocabID {
			return nil, fmt.Errorf("tokenizer: %s: added_tokens[%d] %q: id %d out of range", name, i, a.Content, a.ID)
		}
		id := a.ID
		// tokenizers gives an added token that the model knows the model's id.
		if mid, ok := m.tokenToID(a.Content); ok {
			id = mid
		}
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		t.added.put(addedToken{id: id, content: a.Content, singleWord: a.SingleWord,
			lstrip: a.LStrip, rstrip: a.RStrip, normalized: normalized, special: a.Special})
	}
	t.finish()
	return t, nil
}

func parseModel(raw json.RawMessage) (model, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("no model")
	}
	var head struct {
		Type   *string         `json:"type"`
		Vocab  json.RawMessage `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	kind := ""
	if head.Type != nil {
		kind = *head.Type
	} else {
		// Older files have no "type": tell the models apart by their fields,
		// as tokenizers' untagged fallback does.
		switch v := bytes.TrimSpace(head.Vocab); {
		case !isNull(head.Merges):
			kind = "BPE"
		case len(v) > 0 && v[0] == '[':
			kind = "Unigram"
		default:
			return nil, fmt.Errorf("model has no type and is neither BPE (vocab and merges) nor Unigram (a list of [piece, score]); only BPE and Unigram are supported")
		}
	}
	switch kind {
	case "BPE":
		return newBPE(raw)
	case "Unigram":
		return newUnigram(raw)
	}
	return nil, fmt.Errorf("model type %q is not supported (want BPE or Unigram)", kind)
}

// finish rebuilds what depends on the added tokens.
func (t *Tokenizer) finish() {
	t.added.finish(t.normalizer)
	n := t.model.vocabStrings()
	for content := range t.added.byContent {
		if _, ok := t.model.tokenToID(content); !ok {
			n++
		}
	}
	t.vocabSize = n
}

// nextID is the id a brand-new added token gets.
func (t *Tokenizer) nextID() int {
	next := 0
	t.model.forEachToken(func(tok string) {
		id, _ := t.model.tokenToID(tok)
		next = max(next, id+1)
	})
	for id := range t.added.byID {
		next = max(next, id+1)
	}
	return next
}
