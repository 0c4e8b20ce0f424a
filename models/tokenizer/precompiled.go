package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// precompiled is SentencePiece's precompiled_charsmap normaliser (nmt_nfkc
// for T5): a Darts-clone double-array trie whose values are offsets into a
// pool of NUL-terminated replacement strings. The blob is
// [u32 LE trie byte length][trie units, u32 LE][replacement strings].
type precompiled struct {
	units []uint32
	pool  string
	ascii [utf8.RuneSelf]asciiRule // transform of each ASCII character, looked up once
}

type asciiRule struct {
	rep string
	ok  bool
}

func newPrecompiled(b64 string) (*precompiled, error) {
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("Precompiled: precompiled_charsmap is not base64: %w", err)
	}
	if len(blob) == 0 {
		return &precompiled{}, nil // an empty map changes nothing
	}
	if len(blob) < 4 {
		return nil, fmt.Errorf("Precompiled: precompiled_charsmap of %d bytes is too short", len(blob))
	}
	trieBytes := binary.LittleEndian.Uint32(blob)
	if trieBytes%4 != 0 || uint64(trieBytes) > uint64(len(blob)-4) {
		return nil, fmt.Errorf("Precompiled: trie of %d bytes does not fit a %d-byte charsmap", trieBytes, len(blob))
	}
	p := &precompiled{units: make([]uint32, trieBytes/4)}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(blob[4+4*i:])
	}
	pool := blob[4+trieBytes:]
	if !utf8.Valid(pool) {
		return nil, fmt.Errorf("Precompiled: replacement strings are not valid UTF-8")
	}
	p.pool = string(pool)
	for c := range p.ascii {
		rep, ok := p.transform(string(rune(c)))
		p.ascii[c] = asciiRule{rep, ok}
	}
	return p, nil
}

// Darts-clone unit fields.
func unitHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func unitValue(u uint32) uint32  { return u & (1<<31 - 1) }
func unitLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// firstMatch returns the value of the shortest key that is a prefix of key,
// which is what spm_precompiled uses (not the longest).
func (p *precompiled) firstMatch(key string) (uint32, bool) {
	if len(p.units) == 0 {
		return 0, false
	}
	pos := unitOffset(p.units[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			return 0, false
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.units) {
			return 0, false
		}
		u := p.units[pos]
		if unitLabel(u) != uint32(c) {
			return 0, false
		}
		pos ^= unitOffset(u)
		if unitHasLeaf(u) {
			if int(pos) >= len(p.units) {
				return 0, false
			}
			return unitValue(p.units[pos]), true
		}
	}
	return 0, false
}

// transform returns the replacement for chunk, if the map has a rule for it.
func (p *precompiled) transform(chunk string) (string, bool) {
	v, ok := p.firstMatch(chunk)
	if !ok || int(v) > len(p.pool) {
		return "", false
	}
	rest := p.pool[v:]
	if end := strings.IndexByte(rest, 0); end >= 0 {
		rest = rest[:end]
	}
	if !utf8.ValidString(rest) {
		return "", false
	}
	return rest, true
}

// normalize follows tokenizers: a grapheme cluster under 6 bytes is looked up
// whole (its shortest matching prefix decides the replacement of the whole
// cluster); otherwise, or when that finds nothing, each character is looked
// up on its own.
func (p *precompiled) normalize(s string) (string, bool) {
	if len(p.units) == 0 {
		return s, true
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for len(s) > 0 {
		n := graphemeLen(s)
		g := s[:n]
		s = s[n:]
		if n == 1 {
			if r := p.ascii[g[0]]; r.ok {
				sb.WriteString(r.rep)
			} else {
				sb.WriteString(g)
			}
			continue
		}
		if n < 6 {
			if rep, ok := p.transform(g); ok {
				sb.WriteString(rep)
				continue
			}
		}
		for i := 0; i < len(g); {
			_, size := utf8.DecodeRuneInString(g[i:])
			c := g[i : i+size]
			if rep, ok := p.transform(c); ok {
				sb.WriteString(rep)
			} else {
				sb.WriteString(c)
			}
			i += size
		}
	}
	return sb.String(), true
}
