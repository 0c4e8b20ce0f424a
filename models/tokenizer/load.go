package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
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
	n := 0
	t.model.forEachToken(func(string) { n++ })
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

// tokenSpec is a special token in a config file: a string, or an object
// with content and AddedToken flags.
type tokenSpec struct {
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    *bool  `json:"special"`
}

func (s *tokenSpec) UnmarshalJSON(b []byte) error {
	if len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '"' {
		*s = tokenSpec{}
		return json.Unmarshal(b, &s.Content)
	}
	type plain tokenSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = tokenSpec(p)
	return nil
}

// specialAttributes are the tokenizer attributes transformers treats as
// special tokens.
func specialAttributes() []string {
	return []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}
}

// mergeFolder applies added_tokens.json, tokenizer_config.json and
// special_tokens_map.json from dir, each optional.
func (t *Tokenizer) mergeFolder(dir string) error {
	var addedFile map[string]int
	if err := readOptionalJSON(filepath.Join(dir, "added_tokens.json"), &addedFile); err != nil {
		return err
	}
	for content, id := range addedFile {
		if content == "" {
			continue
		}
		if id < 0 || id >= maxVocabID {
			return fmt.Errorf("tokenizer: %s: %q: id %d out of range", filepath.Join(dir, "added_tokens.json"), content, id)
		}
		// BLIP-2's processor adds these (the image token) as special tokens.
		if old, ok := t.added.byContent[content]; ok && old == id {
			t.added.byID[id].special = true
			continue
		}
		t.added.put(addedToken{id: id, content: content, special: true})
	}

	var config map[string]json.RawMessage
	configFile := filepath.Join(dir, "tokenizer_config.json")
	if err := readOptionalJSON(configFile, &config); err != nil {
		return err
	}
	if raw, ok := config["clean_up_tokenization_spaces"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &t.cleanUp); err != nil {
			return fmt.Errorf("tokenizer: %s: clean_up_tokenization_spaces: %w", configFile, err)
		}
	}
	if raw, ok := config["added_tokens_decoder"]; ok && !isNull(raw) {
		var dec map[string]tokenSpec
		if err := json.Unmarshal(raw, &dec); err != nil {
			return fmt.Errorf("tokenizer: %s: added_tokens_decoder: %w", configFile, err)
		}
		for key, spec := range dec {
			id, err := strconv.Atoi(key)
			if err != nil || id < 0 || id >= maxVocabID || spec.Content == "" {
				return fmt.Errorf("tokenizer: %s: added_tokens_decoder entry %q: want a non-negative id and a content", configFile, key)
			}
			special := spec.Special != nil && *spec.Special
			normalized := !special
			if spec.Normalized != nil {
				normalized = *spec.Normalized
			}
			t.added.put(addedToken{id: id, content: spec.Content, singleWord: spec.SingleWord,
				lstrip: spec.LStrip, rstrip: spec.RStrip, normalized: normalized, special: special})
		}
	}
	if err := t.markSpecialFrom(config, configFile); err != nil {
		return err
	}

	var stm map[string]json.RawMessage
	stmFile := filepath.Join(dir, "special_tokens_map.json")
	if err := readOptionalJSON(stmFile, &stm); err != nil {
		return err
	}
	if err := t.markSpecialFrom(stm, stmFile); err != nil {
		return err
	}
	t.finish()
	return nil
}

// markSpecialFrom marks the special tokens a config names (bos_token …,
// additional_special_tokens, extra_special_tokens), adding any that are new.
func (t *Tokenizer) markSpecialFrom(cfg map[string]json.RawMessage, file string) error {
	var specs []tokenSpec
	for _, key := range specialAttributes() {
		raw, ok := cfg[key]
		if !ok || isNull(raw) {
			continue
		}
		var s tokenSpec
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("tokenizer: %s: %s: %w", file, key, err)
		}
		specs = append(specs, s)
	}
	if raw, ok := cfg["additional_special_tokens"]; ok && !isNull(raw) {
		var list []tokenSpec
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("tokenizer: %s: additional_special_tokens: %w", file, err)
		}
		specs = append(specs, list...)
	}
	if raw, ok := cfg["extra_special_tokens"]; ok && !isNull(raw) {
		var named map[string]tokenSpec
		if err := json.Unmarshal(raw, &named); err != nil {
			var list []tokenSpec
			if err2 := json.Unmarshal(raw, &list); err2 != nil {
				return fmt.Errorf("tokenizer: %s: extra_special_tokens: %w", file, err)
			}
			specs = append(specs, list...)
		}
		for _, s := range named {
			specs = append(specs, s)
		}
	}
	for _, s := range specs {
		if s.Content == "" {
			continue
		}
		if id, ok := t.added.byContent[s.Content]; ok {
			t.added.byID[id].special = true
			continue
		}
		id, ok := t.model.tokenToID(s.Content)
		if !ok {
			id = t.nextID()
		}
		normalized := false
		if s.Normalized != nil {
			normalized = *s.Normalized
		}
		t.added.put(addedToken{id: id, content: s.Content, singleWord: s.SingleWord,
			lstrip: s.LStrip, rstrip: s.RStrip, normalized: normalized, special: true})
	}
	return nil
}

// readOptionalJSON decodes file into v; a missing file leaves v alone.
func readOptionalJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokenizer: load %s: %w", file, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("tokenizer: %s: malformed JSON: %w", file, err)
	}
	return nil
}
