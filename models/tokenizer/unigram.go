package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// unigramModel is SentencePiece's unigram model as tokenizers runs it: the
// Viterbi segmentation that maximises the sum of piece scores, unknown
// characters scored min_score-10 and consecutive unknowns fused.
type unigramModel struct {
	pieces       []string
	scores       []float64
	toID         map[string]int // a repeated piece maps to its last id
	trie         pieceTrie
	minScore     float64
	unkID        int // -1 when the model has none
	byteFallback bool
	cache        *wordCache[[]string] // segmentations already found; nil: none
}

// unkPenalty is tokenizers' K_UNK_PENALTY.
const unkPenalty = 10.0

type unigramJSON struct {
	Vocab        []pieceScore `json:"vocab"`
	UnkID        *int         `json:"unk_id"`
	ByteFallback bool         `json:"byte_fallback"`
}

type pieceScore struct {
	piece string
	score float64
}

func (p *pieceScore) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("vocab entry %s is not [piece, score]", bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(pair[0], &p.piece); err != nil {
		return fmt.Errorf("vocab entry %s: %w", bytes.TrimSpace(b), err)
	}
	if err := json.Unmarshal(pair[1], &p.score); err != nil {
		return fmt.Errorf("vocab entry %s: %w", bytes.TrimSpace(b), err)
	}
	return nil
}

func newUnigram(raw json.RawMessage) (*unigramModel, error) {
	var j unigramJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Unigram model: %w", err)
	}
	if len(j.Vocab) == 0 {
		return nil, fmt.Errorf("Unigram model: empty vocab")
	}
	if len(j.Vocab) >= maxVocabID {
		return nil, fmt.Errorf("Unigram model: %d pieces is too many", len(j.Vocab))
	}
	m := &unigramModel{
		pieces:       make([]string, len(j.Vocab)),
		scores:       make([]float64, len(j.Vocab)),
		toID:         make(map[string]int, len(j.Vocab)),
		minScore:     math.Inf(1),
		unkID:        -1,
		byteFallback: j.ByteFallback,
		cache:        &wordCache[[]string]{},
	}
	if j.UnkID != nil {
		if *j.UnkID < 0 || *j.UnkID >= len(j.Vocab) {
			return nil, fmt.Errorf("Unigram model: unk_id %d is not in the vocab of %d pieces", *j.UnkID, len(j.Vocab))
		}
		m.unkID = *j.UnkID
	}
	for id, ps := range j.Vocab {
		m.pieces[id] = ps.piece
		m.scores[id] = ps.score
		m.toID[ps.piece] = id
		m.minScore = min(m.minScore, ps.score)
	}
	m.trie = buildPieceTrie(m.toID)
	return m, nil
}

func (m *unigramModel) kind() string { return "unigram" }

func (m *unigramModel) tokenToID(tok string) (int, bool) {
	id, ok := m.toID[tok]
	return id, ok
}

func (m *unigramModel) idToToken(id int) (string, bool) {
	if id < 0 || id >= len(m.pieces) {
		return "", false
	}
	return m.pieces[id], true
}

func (m *unigramModel) vocabStrings() int { return len(m.toID) }

func (m *unigramModel) forEachToken(fn func(string)) {
	for tok := range m.toID {
		fn(tok)
	}
}

func (m *unigramModel) tokenize(word string, enc *encoding) error {
	pieces, ok := m.cache.get(word)
	if !ok {
		var err error
		if pieces, err = m.segment(word); err != nil {
			return err
		}
		m.cache.put(word, pieces)
	}
	for _, p := range pieces {
		if id, ok := m.toID[p]; ok {
			enc.add(id, p)
			continue
		}
		if m.byteFallback && m.addBytes(p, enc) {
			continue
		}
		if m.unkID < 0 {
			return fmt.Errorf("piece %q is not in the vocab and the model has no unk_id", p)
		}
		enc.add(m.unkID, p) // the token keeps the raw text, as in tokenizers
	}
	return nil
}

func (m *unigramModel) addBytes(p string, enc *encoding) bool {
	ids := make([]int, len(p))
	for i := 0; i < len(p); i++ {
		id, ok := m.toID[fmt.Sprintf("<0x%02X>", p[i])]
		if !ok {
			return false
		}
		ids[i] = id
	}
	for i, id := range ids {
		enc.add(id, fmt.Sprintf("<0x%02X>", p[i]))
	}
	return true
}

type lattice struct {
	score float64
	start int // -1: no path ends here yet
	id    int // the piece (or unk) ending here
}

// segment is tokenizers' encode_optimized: best path over byte positions,
// walking the string one character at a time.
func (m *unigramModel) segment(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	unkScore := m.minScore - unkPenalty
	best := make([]lattice, len(s)+1)
	for i := range best {
		best[i].start = -1
	}
	for pos := 0; pos < len(s); {
		_, charLen := utf8.DecodeRuneInString(s[pos:])
		here := best[pos].score
		single := false
		m.trie.prefixes(s[pos:], func(n, id int) {
			end := pos + n
			cand := m.scores[id] + here
			if t := &best[end]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, pos, id
			}
			if n == charLen {
				single = true
			}
		})
		if !single {
			if m.unkID < 0 {
				return nil, fmt.Errorf("character %q is not in the vocab and the model has no unk_id", s[pos:pos+charLen])
			}
			cand := unkScore + here
			if t := &best[pos+charLen]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, pos, m.unkID
			}
		}
		pos += charLen
	}
	// Walk back; runs of unknowns become one piece.
	var out []string
	unkEnd := -1
	for end := len(s); end > 0; {
		n := best[end]
		if n.id == m.unkID && m.unkID >= 0 {
			if unkEnd < 0 {
				unkEnd = end
			}
		} else {
			if unkEnd >= 0 {
				out = append(out, s[end:unkEnd])
				unkEnd = -1
			}
			out = append(out, s[n.start:end])
		}
		end = n.start
	}
	if unkEnd >= 0 {
		out = append(out, s[:unkEnd])
	}
	slices.Reverse(out)
	return out, nil
}

// pieceTrie is a byte trie over the pieces, children of a node stored
// contiguously and sorted by label.
type pieceTrie struct {
	first []int32    // node -> index of its first child
	count []int32    // node -> number of children
	label []byte     // node -> the byte that leads to it
	value []int32    // node -> piece id, or -1
	root  [256]int32 // child of the root for each byte, or -1
}

// buildPieceTrie builds the trie breadth first from the sorted pieces.
func buildPieceTrie(toID map[string]int) pieceTrie {
	keys := make([]string, 0, len(toID))
	for k := range toID {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	t := pieceTrie{first: []int32{0}, count: []int32{0}, label: []byte{0}, value: []int32{-1}}
	type span struct {
		lo, hi, depth int
		node          int32
	}
	queue := []span{{0, len(keys), 0, 0}}
	for len(queue) > 0 {
		sp := queue[0]
		queue = queue[1:]
		lo := sp.lo
		if lo < sp.hi && len(keys[lo]) == sp.depth {
			t.value[sp.node] = int32(toID[keys[lo]])
			lo++
		}
		t.first[sp.node] = int32(len(t.label))
		for i := lo; i < sp.hi; {
			b := keys[i][sp.depth]
			j := i + 1
			for j < sp.hi && keys[j][sp.depth] == b {
				j++
			}
			child := int32(len(t.label))
			t.first = append(t.first, 0)
			t.count = append(t.count, 0)
			t.label = append(t.label, b)
			t.value = append(t.value, -1)
			t.count[sp.node]++
			queue = append(queue, span{i, j, sp.depth + 1, child})
			i = j
		}
	}
	for b := range t.root {
		t.root[b] = -1
	}
	for c := t.first[0]; c < t.first[0]+t.count[0]; c++ {
		t.root[t.label[c]] = c
	}
	return t
}

// prefixes calls fn(length, id) for every piece that is a prefix of s,
// shortest first.
func (t *pieceTrie) prefixes(s string, fn func(n, id int)) {
	if s == "" {
		return
	}
	node := t.root[s[0]]
	if node < 0 {
		return
	}
	if v := t.value[node]; v >= 0 {
		fn(1, int(v))
	}
	for i := 1; i < len(s); i++ {
		lo, hi := t.first[node], t.first[node]+t.count[node]
		b := s[i]
		for lo < hi {
			mid := (lo + hi) / 2
			if t.label[mid] < b {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo >= t.first[node]+t.count[node] || t.label[lo] != b {
			return
		}
		node = lo
		if v := t.value[node]; v >= 0 {
			fn(i+1, int(v))
		}
	}
}
