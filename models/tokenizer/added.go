package tokenizer

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens: text that is cut
// out of the input before the model sees it.
type addedToken struct {
	id         int
	content    string
	singleWord bool // only when not touching word characters
	lstrip     bool // also swallow the whitespace on its left
	rstrip     bool // and on its right
	normalized bool // matched in the normalized text, not the raw one
	special    bool // dropped by Decode when skipping special tokens
}

// addedVocab holds the added tokens and the two matchers tokenizers builds
// from them: one over the raw text, one over normalized text.
type addedVocab struct {
	byID        map[int]*addedToken
	byContent   map[string]int
	normContent map[int]string // normalized form of normalized tokens where it differs
	special     map[string]bool
	raw, norm   matcher
}

func newAddedVocab() *addedVocab {
	return &addedVocab{
		byID:        make(map[int]*addedToken),
		byContent:   make(map[string]int),
		normContent: make(map[int]string),
		special:     make(map[string]bool),
	}
}

// put adds or replaces a token (the last definition of an id or content wins).
func (v *addedVocab) put(tok addedToken) {
	if old, ok := v.byID[tok.id]; ok && old.content != tok.content {
		delete(v.byContent, old.content)
	}
	if oldID, ok := v.byContent[tok.content]; ok && oldID != tok.id {
		delete(v.byID, oldID)
	}
	t := tok
	v.byID[tok.id] = &t
	v.byContent[tok.content] = tok.id
}

// finish builds the matchers; normalize is the tokenizer's normalizer (nil
// for none), applied to the content of normalized tokens.
func (v *addedVocab) finish(n normalizer) {
	v.special = make(map[string]bool)
	v.normContent = make(map[int]string)
	var raw, norm []matchPattern
	for _, t := range v.byID {
		if t.special {
			v.special[t.content] = true
		}
		if !t.normalized {
			raw = append(raw, matchPattern{t.content, t})
			continue
		}
		pat := t.content
		if n != nil {
			pat, _ = n.normalize(t.content)
			if pat != t.content {
				v.normContent[t.id] = pat
			}
		}
		norm = append(norm, matchPattern{pat, t})
	}
	v.raw = newMatcher(raw)
	v.norm = newMatcher(norm)
}

// decodeString is the text Decode uses for an added token's id.
func (v *addedVocab) decodeString(id int) (string, bool) {
	if s, ok := v.normContent[id]; ok {
		return s, true
	}
	if t, ok := v.byID[id]; ok {
		return t.content, true
	}
	return "", false
}

type matchPattern struct {
	text string
	tok  *addedToken
}

// matcher finds added tokens leftmost-longest, as tokenizers' Aho-Corasick
// automaton with MatchKind::LeftmostLongest does.
type matcher struct {
	byFirst *[256][]matchPattern // by first byte, longest first; nil when empty
}

func newMatcher(pats []matchPattern) matcher {
	var m matcher
	for _, p := range pats {
		if p.text == "" {
			continue
		}
		if m.byFirst == nil {
			m.byFirst = new([256][]matchPattern)
		}
		m.byFirst[p.text[0]] = append(m.byFirst[p.text[0]], p)
	}
	if m.byFirst == nil {
		return m
	}
	for _, list := range m.byFirst {
		slices.SortStableFunc(list, func(a, b matchPattern) int {
			if len(a.text) != len(b.text) {
				return len(b.text) - len(a.text)
			}
			return strings.Compare(a.text, b.text)
		})
	}
	return m
}

func (m *matcher) longestAt(s string, i int) *matchPattern {
	list := m.byFirst[s[i]]
	for k := range list {
		if strings.HasPrefix(s[i:], list[k].text) {
			return &list[k]
		}
	}
	return nil
}

// segment is a byte range of the text, holding an added token or not.
type segment struct {
	start, end int
	tok        *addedToken
}

// split cuts s around the added tokens it holds, following tokenizers'
// find_matches (single_word, lstrip and rstrip included).
func (m *matcher) split(s string) []segment {
	if s == "" {
		return nil
	}
	if m.byFirst == nil {
		return []segment{{0, len(s), nil}}
	}
	var out []segment
	startOffset := 0
	for i := 0; i < len(s); {
		if len(m.byFirst[s[i]]) == 0 {
			i++
			continue
		}
		p := m.longestAt(s, i)
		if p == nil {
			i++
			continue
		}
		start, stop := i, i+len(p.text)
		i = stop // the search goes on after the match, kept or not
		tok := p.tok
		if tok.singleWord {
			startOK := start == 0 || !endsWithWordChar(s[:start])
			stopOK := stop == len(s) || !startsWithWordChar(s[stop:])
			if !startOK || !stopOK {
				continue
			}
		}
		if tok.lstrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), startOffset)
		}
		if tok.rstrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if startOffset < start {
			out = append(out, segment{startOffset, start, nil})
		}
		out = append(out, segment{start, stop, tok})
		startOffset = stop
	}
	if startOffset < len(s) {
		out = append(out, segment{startOffset, len(s), nil})
	}
	return out
}

func endsWithWordChar(s string) bool {
	r, size := utf8.DecodeLastRuneInString(s)
	return size > 0 && isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size > 0 && isWordChar(r)
}
