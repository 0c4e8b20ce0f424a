package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// split is a piece of normalized text on its way to the model. atStart says
// whether it begins at the very start of the input (Metaspace's "first").
type split struct {
	text    string
	atStart bool
}

// preTokenizer cuts splits into smaller ones. Implementations append the
// pieces of one split to out; empty pieces are dropped by the caller.
type preTokenizer interface {
	splitOne(sp split, out []split) []split
}

func preTokenize(p preTokenizer, in []split) []split {
	n := 0
	for _, sp := range in {
		n += len(sp.text)
	}
	out := make([]split, 0, n/4+2) // about one piece per word
	for _, sp := range in {
		out = p.splitOne(sp, out)
	}
	kept := out[:0]
	for _, sp := range out {
		if sp.text != "" {
			kept = append(kept, sp)
		}
	}
	return kept
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("pre_tokenizer Sequence: %w", err)
		}
		var seq preTokenizerSeq
		for i, r := range j.PreTokenizers {
			p, err := parsePreTokenizer(r)
			if err != nil {
				return nil, fmt.Errorf("pre_tokenizer Sequence[%d]: %w", i, err)
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	case "ByteLevel":
		j := struct {
			AddPrefixSpace bool `json:"add_prefix_space"`
			UseRegex       bool `json:"use_regex"`
		}{UseRegex: true}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("pre_tokenizer ByteLevel: %w", err)
		}
		return byteLevelPre{addPrefixSpace: j.AddPrefixSpace, useRegex: j.UseRegex, bl: newByteLevel()}, nil
	case "Metaspace":
		m, err := parseMetaspace(raw)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: %w", err)
		}
		return m, nil
	case "WhitespaceSplit":
		return whitespaceSplit{}, nil
	case "Whitespace":
		return whitespace{}, nil
	}
	return nil, fmt.Errorf("pre_tokenizer type %q is not supported", t.Type)
}

type preTokenizerSeq []preTokenizer

func (q preTokenizerSeq) splitOne(sp split, out []split) []split {
	cur := []split{sp}
	for _, p := range q {
		cur = preTokenize(p, cur)
	}
	return append(out, cur...)
}

// byteLevelPre is GPT-2's pre-tokenizer: optional prefix space, the GPT-2
// regex split, then every byte mapped to its printable character.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
	bl             *byteLevel
}

func (b byteLevelPre) splitOne(sp split, out []split) []split {
	s := sp.text
	if b.addPrefixSpace && s != "" && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	// Map the whole piece once; the regex pieces are then substrings of it.
	mapped := b.bl.encode(s)
	if !b.useRegex {
		return append(out, split{mapped, sp.atStart})
	}
	at := 0 // where s[i:] starts in mapped
	for i := 0; i < len(s); {
		n := gpt2MatchLen(s[i:])
		size := 0
		for k := i; k < i+n; k++ {
			size += len(b.bl.toChar[s[k]])
		}
		out = append(out, split{mapped[at : at+size], sp.atStart && i == 0})
		i += n
		at += size
	}
	return out
}

// gpt2MatchLen is the length of the match of GPT-2's pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// at the start of the non-empty s. The pattern matches at every position, so
// consecutive matches tile the text.
func gpt2MatchLen(s string) int {
	if s[0] == '\'' && len(s) > 1 {
		switch s[1] {
		case 's', 't', 'm', 'd':
			return 2
		}
		if len(s) > 2 {
			switch s[1:3] {
			case "re", "ve", "ll":
				return 3
			}
		}
	}
	start := 0
	if s[0] == ' ' && len(s) > 1 {
		start = 1 // " ?" takes the space when a run follows it
	}
	r, _ := utf8.DecodeRuneInString(s[start:])
	switch {
	case unicode.IsLetter(r):
		return start + runLen(s[start:], unicode.IsLetter)
	case unicode.IsNumber(r):
		return start + runLen(s[start:], unicode.IsNumber)
	case !unicode.IsSpace(r):
		return start + runLen(s[start:], isGPT2Other)
	}
	// Whitespace: \s+(?!\S) leaves the last space of a run that is followed
	// by text to start the next match; a single space before text is \s+.
	n := runLen(s, unicode.IsSpace)
	if n == len(s) {
		return n
	}
	_, last := utf8.DecodeLastRuneInString(s[:n])
	if n > last {
		return n - last
	}
	return n
}

func isGPT2Other(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// runLen is the byte length of the longest prefix of s whose runes all satisfy f.
func runLen(s string, f func(rune) bool) int {
	for i, r := range s {
		if !f(r) {
			return i
		}
	}
	return len(s)
}

// metaspace replaces spaces with the replacement character (▁), may prepend
// one, and splits before each replacement.
type metaspace struct {
	repl   string
	scheme prependScheme
	split  bool
}

type prependScheme int

const (
	prependAlways prependScheme = iota
	prependFirst
	prependNever
)

func parseMetaspace(raw json.RawMessage) (metaspace, error) {
	var j struct {
		Replacement    *string `json:"replacement"`
		AddPrefixSpace *bool   `json:"add_prefix_space"`
		PrependScheme  *string `json:"prepend_scheme"`
		Split          *bool   `json:"split"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return metaspace{}, err
	}
	m := metaspace{repl: "▁", scheme: prependAlways, split: true}
	if j.Replacement != nil {
		if utf8.RuneCountInString(*j.Replacement) != 1 {
			return metaspace{}, fmt.Errorf("replacement %q is not one character", *j.Replacement)
		}
		m.repl = *j.Replacement
	}
	if j.PrependScheme != nil {
		switch *j.PrependScheme {
		case "always":
			m.scheme = prependAlways
		case "first":
			m.scheme = prependFirst
		case "never":
			m.scheme = prependNever
		default:
			return metaspace{}, fmt.Errorf("prepend_scheme %q is not always, first or never", *j.PrependScheme)
		}
	}
	// The older layout says add_prefix_space; false means never.
	if j.AddPrefixSpace != nil && !*j.AddPrefixSpace {
		if j.PrependScheme != nil && m.scheme != prependNever {
			return metaspace{}, fmt.Errorf("add_prefix_space false contradicts prepend_scheme %q", *j.PrependScheme)
		}
		m.scheme = prependNever
	}
	if j.Split != nil {
		m.split = *j.Split
	}
	return m, nil
}

func (m metaspace) splitOne(sp split, out []split) []split {
	s := strings.ReplaceAll(sp.text, " ", m.repl)
	if s != "" && !strings.HasPrefix(s, m.repl) {
		if m.scheme == prependAlways || m.scheme == prependFirst && sp.atStart {
			s = m.repl + s
		}
	}
	if !m.split {
		return append(out, split{s, sp.atStart})
	}
	// Each replacement starts a new piece (MergedWithNext).
	start := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], m.repl)
		if j < 0 {
			break
		}
		at := i + j
		if at > start {
			out = append(out, split{s[start:at], sp.atStart && start == 0})
			start = at
		}
		i = at + len(m.repl)
	}
	return append(out, split{s[start:], sp.atStart && start == 0})
}

// whitespaceSplit splits on whitespace and drops it.
type whitespaceSplit struct{}

func (whitespaceSplit) splitOne(sp split, out []split) []split {
	return appendRuns(sp, out, func(r rune) int {
		if unicode.IsSpace(r) {
			return 0
		}
		return 1
	})
}

// whitespace is the Whitespace pre-tokenizer, \w+|[^\w\s]+.
type whitespace struct{}

func (whitespace) splitOne(sp split, out []split) []split {
	return appendRuns(sp, out, func(r rune) int {
		switch {
		case unicode.IsSpace(r):
			return 0
		case isWordChar(r):
			return 1
		}
		return 2
	})
}

// appendRuns appends the maximal runs of runes of equal non-zero class.
func appendRuns(sp split, out []split, class func(rune) int) []split {
	start, cur := 0, 0
	for i, r := range sp.text {
		c := class(r)
		if c != cur {
			if cur != 0 {
				out = append(out, split{sp.text[start:i], sp.atStart && start == 0})
			}
			start, cur = i, c
		}
	}
	if cur != 0 {
		out = append(out, split{sp.text[start:], sp.atStart && start == 0})
	}
	return out
}

// isWordChar is \w of Rust's regex crate: Alphabetic, marks, decimal
// digits, connector punctuation and the join controls.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_Alphabetic, r) ||
		unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) ||
		unicode.Is(unicode.Join_Control, r)
}
