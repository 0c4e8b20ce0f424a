package tokenizer

//go:generate perl gengrapheme.pl

import "unicode/utf8"

// Grapheme_Cluster_Break classes (UAX #29). The numbers match gengrapheme.pl.
type gcb uint8

const (
	gcbOther gcb = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRegionalIndicator
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

const (
	hangulBase   = 0xAC00
	hangulCount  = 11172
	hangulTCount = 28
)

// gcbOf looks r up in the generated table.
func gcbOf(r rune) gcb {
	if r < 0x300 { // below the combining marks only controls have a class
		switch {
		case r == '\r':
			return gcbCR
		case r == '\n':
			return gcbLF
		case r < 0x20 || r >= 0x7F && r <= 0x9F || r == 0xAD:
			return gcbControl
		}
		return gcbOther
	}
	if r >= hangulBase && r < hangulBase+hangulCount {
		if (r-hangulBase)%hangulTCount == 0 {
			return gcbLV
		}
		return gcbLVT
	}
	const row = 7
	lo, hi := 0, len(gcbTable)/row
	for lo < hi {
		mid := (lo + hi) / 2
		first, last := tableRune(gcbTable, mid*row), tableRune(gcbTable, mid*row+3)
		switch {
		case r < first:
			hi = mid
		case r > last:
			lo = mid + 1
		default:
			return gcb(gcbTable[mid*row+6])
		}
	}
	return gcbOther
}

func isExtPict(r rune) bool {
	if r < 0xA9 {
		return false
	}
	const row = 6
	lo, hi := 0, len(extPictTable)/row
	for lo < hi {
		mid := (lo + hi) / 2
		first, last := tableRune(extPictTable, mid*row), tableRune(extPictTable, mid*row+3)
		switch {
		case r < first:
			hi = mid
		case r > last:
			lo = mid + 1
		default:
			return true
		}
	}
	return false
}

func tableRune(t string, i int) rune {
	return rune(t[i])<<16 | rune(t[i+1])<<8 | rune(t[i+2])
}

// graphemeLen returns the byte length of the first extended grapheme cluster
// of s (UAX #29 rules GB3–GB13; the Indic conjunct rule GB9c is left out: it
// only joins clusters of three-byte characters, which the Precompiled
// normalizer, the one user, treats character by character anyway).
func graphemeLen(s string) int {
	if s == "" {
		return 0
	}
	// Two ASCII characters only stay together as CR LF.
	if s[0] < utf8.RuneSelf && s[0] != '\r' && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		return 1
	}
	r, n := utf8.DecodeRuneInString(s)
	prev := gcbOf(r)
	// State for GB11 (emoji ZWJ sequences) and GB12/13 (flag pairs).
	pictSeq := isExtPict(r) // inside ExtPict Extend*
	pictZWJ := false        // just saw ExtPict Extend* ZWJ
	riCount := 0
	if prev == gcbRegionalIndicator {
		riCount = 1
	}
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		cur := gcbOf(r)
		if breakBetween(prev, cur, pictZWJ && isExtPict(r), riCount) {
			return n
		}
		// Update the GB11 state.
		switch {
		case cur == gcbZWJ && pictSeq:
			pictZWJ, pictSeq = true, false
		case cur == gcbExtend && pictSeq:
			pictZWJ = false
		default:
			pictZWJ = false
			pictSeq = isExtPict(r)
		}
		if cur == gcbRegionalIndicator {
			riCount++
		} else {
			riCount = 0
		}
		prev = cur
		n += size
	}
	return n
}

// breakBetween says whether UAX #29 puts a boundary between two characters
// of classes a and b. emojiJoin is GB11's condition, riRun the number of
// regional indicators that end at a.
func breakBetween(a, b gcb, emojiJoin bool, riRun int) bool {
	switch {
	case a == gcbCR && b == gcbLF: // GB3
		return false
	case a == gcbControl || a == gcbCR || a == gcbLF: // GB4
		return true
	case b == gcbControl || b == gcbCR || b == gcbLF: // GB5
		return true
	case a == gcbL && (b == gcbL || b == gcbV || b == gcbLV || b == gcbLVT): // GB6
		return false
	case (a == gcbLV || a == gcbV) && (b == gcbV || b == gcbT): // GB7
		return false
	case (a == gcbLVT || a == gcbT) && b == gcbT: // GB8
		return false
	case b == gcbExtend || b == gcbZWJ: // GB9
		return false
	case b == gcbSpacingMark: // GB9a
		return false
	case a == gcbPrepend: // GB9b
		return false
	case a == gcbZWJ && emojiJoin: // GB11
		return false
	case a == gcbRegionalIndicator && b == gcbRegionalIndicator: // GB12, GB13
		return riRun%2 == 0
	}
	return true // GB999
}
