package tokenizer

import "strings"

// byteLevel is GPT-2's reversible map between bytes and printable characters:
// bytes that are already printable (!..~, ¡..¬, ®..ÿ) map to themselves, the
// other 68 map, in ascending order, to U+0100, U+0101, … (space becomes Ġ,
// newline Ċ). It is built per Tokenizer so the package keeps no tables that
// could be written to.
type byteLevel struct {
	toChar [256]string   // byte -> its character, UTF-8 encoded
	toByte map[rune]byte // inverse
}

func newByteLevel() *byteLevel {
	b := &byteLevel{toByte: make(map[rune]byte, 256)}
	next := rune(256)
	for i := 0; i < 256; i++ {
		r := rune(i)
		printable := (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF)
		if !printable {
			r = next
			next++
		}
		b.toChar[i] = string(r)
		b.toByte[r] = byte(i)
	}
	return b
}

// encode maps every byte of s to its character.
func (b *byteLevel) encode(s string) string {
	var sb strings.Builder
	sb.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		sb.WriteString(b.toChar[s[i]])
	}
	return sb.String()
}

// decode maps the characters of tok back to bytes. Like tokenizers' ByteLevel
// decoder, a token holding any character outside the map is kept as its own
// UTF-8 bytes.
func (b *byteLevel) decode(tok string, out []byte) []byte {
	start := len(out)
	for _, r := range tok {
		c, ok := b.toByte[r]
		if !ok {
			return append(out[:start], tok...)
		}
		out = append(out, c)
	}
	return out
}
