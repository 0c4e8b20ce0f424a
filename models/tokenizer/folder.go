package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

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
		// New tokens get ids in order: take the names sorted.
		for _, name := range slices.Sorted(maps.Keys(named)) {
			specs = append(specs, named[name])
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
