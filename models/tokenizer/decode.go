package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns tokens back into text pieces (tokenizers' decode_chain); the
// pieces are concatenated at the end.
type decoder interface {
	decodeChain(tokens []string) []string
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("decoder Sequence: %w", err)
		}
		var seq decoderSeq
		for i, r := range j.Decoders {
			d, err := parseDecoder(r)
			if err != nil {
				return nil, fmt.Errorf("decoder Sequence[%d]: %w", i, err)
			}
			if d != nil {
				seq = append(seq, d)
			}
		}
		return seq, nil
	case "ByteLevel":
		return byteLevelDecoder{newByteLevel()}, nil
	case "Metaspace":
		m, err := parseMetaspace(raw)
		if err != nil {
			return nil, fmt.Errorf("decoder Metaspace: %w", err)
		}
		return metaspaceDecoder{m}, nil
	case "Replace":
		r, err := parseReplace(raw)
		if err != nil {
			return nil, fmt.Errorf("decoder Replace: %w", err)
		}
		return replaceDecoder{r}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		var j struct {
			Content string `json:"content"`
			Start   int    `json:"start"`
			Stop    int    `json:"stop"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("decoder Strip: %w", err)
		}
		if utf8.RuneCountInString(j.Content) != 1 || j.Start < 0 || j.Stop < 0 {
			return nil, fmt.Errorf("decoder Strip: content %q, start %d, stop %d: want one character and counts >= 0", j.Content, j.Start, j.Stop)
		}
		r, _ := utf8.DecodeRuneInString(j.Content)
		return stripDecoder{r: r, start: j.Start, stop: j.Stop}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	}
	return nil, fmt.Errorf("decoder type %q is not supported", t.Type)
}

type decoderSeq []decoder

func (q decoderSeq) decodeChain(tokens []string) []string {
	for _, d := range q {
		tokens = d.decodeChain(tokens)
	}
	return tokens
}

// byteLevelDecoder maps the characters of all tokens back to bytes and reads
// them as UTF-8, invalid sequences becoming U+FFFD.
type byteLevelDecoder struct{ bl *byteLevel }

func (b byteLevelDecoder) decodeChain(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		buf = b.bl.decode(t, buf)
	}
	return []string{lossyUTF8(buf)}
}

// metaspaceDecoder turns ▁ into spaces, dropping them from the first token
// unless nothing was prepended at encoding.
type metaspaceDecoder struct{ m metaspace }

func (d metaspaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		if i == 0 && d.m.scheme != prependNever {
			out[i] = strings.ReplaceAll(t, d.m.repl, "")
		} else {
			out[i] = strings.ReplaceAll(t, d.m.repl, " ")
		}
	}
	return out
}

type replaceDecoder struct{ r *replace }

func (d replaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = d.r.apply(t)
	}
	return out
}

type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder removes up to start leading and stop trailing r from each token.
type stripDecoder struct {
	r           rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		for n := 0; n < d.start; n++ {
			r, size := utf8.DecodeRuneInString(t)
			if size == 0 || r != d.r {
				break
			}
			t = t[size:]
		}
		for n := 0; n < d.stop; n++ {
			r, size := utf8.DecodeLastRuneInString(t)
			if size == 0 || r != d.r {
				break
			}
			t = t[:len(t)-size]
		}
		out[i] = t
	}
	return out
}

// byteFallbackDecoder turns runs of <0xXX> tokens back into the text they
// encode; a run that is not valid UTF-8 becomes one U+FFFD per byte.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(tokens []string) []string {
	var out []string
	var run []byte
	flush := func() {
		if len(run) == 0 {
			return
		}
		if utf8.Valid(run) {
			out = append(out, string(run))
		} else {
			out = append(out, strings.Repeat("\uFFFD", len(run)))
		}
		run = run[:0]
	}
	for _, t := range tokens {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			if b, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				run = append(run, byte(b))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// lossyUTF8 decodes b like Rust's String::from_utf8_lossy (and Python's
// errors="replace"): each maximal invalid subsequence becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			sb.Write(b[i : i+size])
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += invalidPrefixLen(b[i:])
	}
	return sb.String()
}

// invalidPrefixLen is the length of the maximal prefix of b that could start
// a valid UTF-8 sequence (at least 1), given that b does not start with one.
func invalidPrefixLen(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		need = 2
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	case lead == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 1; k <= need && n < len(b); k++ {
		c := b[n]
		if k == 1 && (c < lo || c > hi) || k > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
		n++
	}
	return n
}

// cleanUpTokenizationSpaces is transformers' clean_up_tokenization: it removes
// the space old tokenizers put before punctuation and contractions. The
// replacements run one after another over the text, as in transformers.
func cleanUpTokenizationSpaces(s string) string {
	for _, p := range [...][2]string{
		{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}
