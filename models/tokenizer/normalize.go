package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a piece of text before pre-tokenization. keepsStart
// reports whether the result still begins where the input began (false when
// leading text was removed); Metaspace's prepend_scheme "first" needs it.
type normalizer interface {
	normalize(s string) (out string, keepsStart bool)
}

type typed struct {
	Type string `json:"type"`
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("normalizer Sequence: %w", err)
		}
		var seq normalizerSeq
		for i, r := range j.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("normalizer Sequence[%d]: %w", i, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	case "Precompiled":
		var j struct {
			Charsmap *string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("normalizer Precompiled: %w", err)
		}
		if j.Charsmap == nil {
			return &precompiled{}, nil
		}
		return newPrecompiled(*j.Charsmap)
	case "NFC":
		return unicodeForm{norm.NFC}, nil
	case "NFD":
		return unicodeForm{norm.NFD}, nil
	case "NFKC":
		return unicodeForm{norm.NFKC}, nil
	case "NFKD":
		return unicodeForm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Strip":
		var j struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("normalizer Strip: %w", err)
		}
		return strip{left: j.Left, right: j.Right}, nil
	case "Prepend":
		var j struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("normalizer Prepend: %w", err)
		}
		return prepend{s: j.Prepend}, nil
	case "Replace":
		rep, err := parseReplace(raw)
		if err != nil {
			return nil, fmt.Errorf("normalizer Replace: %w", err)
		}
		return rep, nil
	case "ByteLevel":
		return byteLevelNormalizer{newByteLevel()}, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", t.Type)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

type normalizerSeq []normalizer

func (q normalizerSeq) normalize(s string) (string, bool) {
	keeps := true
	for _, n := range q {
		var k bool
		s, k = n.normalize(s)
		keeps = keeps && k
	}
	return s, keeps
}

type unicodeForm struct{ f norm.Form }

func (u unicodeForm) normalize(s string) (string, bool) { return u.f.String(s), true }

type lowercase struct{}

func (lowercase) normalize(s string) (string, bool) { return strings.ToLower(s), true }

type stripAccents struct{}

func (stripAccents) normalize(s string) (string, bool) {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.M, r) {
			return -1
		}
		return r
	}, s), true
}

type strip struct{ left, right bool }

func (st strip) normalize(s string) (string, bool) {
	out, keeps := s, true
	if st.left {
		out = strings.TrimLeftFunc(out, unicode.IsSpace)
		keeps = len(out) == len(s)
	}
	if st.right {
		out = strings.TrimRightFunc(out, unicode.IsSpace)
	}
	return out, keeps
}

// prepend adds its string in front of non-empty text (tokenizers' prepend is
// a no-op on an empty string).
type prepend struct{ s string }

func (p prepend) normalize(s string) (string, bool) {
	if s == "" {
		return s, true
	}
	return p.s + s, true
}

// replace is the Replace normalizer: a literal string or a regular
// expression (Go's RE2 syntax covers the patterns tokenizer files use, such
// as " {2,}"; others are refused at load).
type replace struct {
	literal string
	re      *regexp.Regexp
	content string
}

func parseReplace(raw json.RawMessage) (*replace, error) {
	var j struct {
		Pattern struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	r := &replace{content: j.Content}
	switch {
	case j.Pattern.String != nil:
		if *j.Pattern.String == "" {
			return nil, fmt.Errorf("empty pattern")
		}
		r.literal = *j.Pattern.String
	case j.Pattern.Regex != nil:
		re, err := regexp.Compile(*j.Pattern.Regex)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", *j.Pattern.Regex, err)
		}
		r.re = re
	default:
		return nil, fmt.Errorf("pattern is neither String nor Regex")
	}
	return r, nil
}

func (r *replace) apply(s string) string {
	if r.re != nil {
		return r.re.ReplaceAllLiteralString(s, r.content)
	}
	return strings.ReplaceAll(s, r.literal, r.content)
}

func (r *replace) normalize(s string) (string, bool) {
	// Text deleted at the very start moves the start of the piece.
	keeps := true
	if r.content == "" {
		if r.re != nil {
			loc := r.re.FindStringIndex(s)
			keeps = loc == nil || loc[0] != 0 || loc[1] == 0
		} else {
			keeps = !strings.HasPrefix(s, r.literal)
		}
	}
	return r.apply(s), keeps
}

type byteLevelNormalizer struct{ bl *byteLevel }

func (b byteLevelNormalizer) normalize(s string) (string, bool) { return b.bl.encode(s), true }
