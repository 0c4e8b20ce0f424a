package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// bpeModel is tokenizers' BPE model: a word starts as one symbol per
// character and adjacent pairs are merged, lowest merge rank first.
type bpeModel struct {
	vocab        map[string]int
	vocabR       []string // id -> token; "" where vocabOK is false
	vocabOK      []bool
	merges       map[uint64]bpeMerge // (left id, right id) -> merge
	unkID        int                 // -1: unknown characters are dropped, as tokenizers does
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string              // continuing_subword_prefix
	suffix       string              // end_of_word_suffix
	cache        *wordCache[[]int32] // nil: no caching
}

type bpeMerge struct {
	rank  int32
	newID int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

type bpeJSON struct {
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Dropout                 *float64        `json:"dropout"`
}

// maxVocabID bounds the ids a vocabulary may use, so a corrupt file cannot
// make us allocate without limit.
const maxVocabID = 1 << 24

func newBPE(raw json.RawMessage) (*bpeModel, error) {
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("BPE model: %w", err)
	}
	if j.Vocab == nil {
		return nil, fmt.Errorf("BPE model: no vocab")
	}
	if j.Dropout != nil && *j.Dropout > 0 {
		return nil, fmt.Errorf("BPE model: dropout %g is not supported (inference uses none)", *j.Dropout)
	}
	m := &bpeModel{
		vocab:        j.Vocab,
		unkID:        -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		cache:        &wordCache[[]int32]{},
	}
	if j.ContinuingSubwordPrefix != nil {
		m.prefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.suffix = *j.EndOfWordSuffix
	}
	maxID := -1
	for tok, id := range j.Vocab {
		if id < 0 || id >= maxVocabID {
			return nil, fmt.Errorf("BPE model: token %q has id %d out of range", tok, id)
		}
		maxID = max(maxID, id)
	}
	m.vocabR = make([]string, maxID+1)
	m.vocabOK = make([]bool, maxID+1)
	for tok, id := range j.Vocab {
		m.vocabR[id] = tok
		m.vocabOK[id] = true
	}
	if j.UnkToken != nil {
		id, ok := j.Vocab[*j.UnkToken]
		if !ok {
			return nil, fmt.Errorf("BPE model: unk_token %q is not in the vocab", *j.UnkToken)
		}
		m.unkID = id
	}
	pairs, err := parseMerges(j.Merges)
	if err != nil {
		return nil, fmt.Errorf("BPE model: %w", err)
	}
	m.merges = make(map[uint64]bpeMerge, len(pairs))
	for rank, p := range pairs {
		a, ok := j.Vocab[p[0]]
		if !ok {
			return nil, fmt.Errorf("BPE model: merge %d: %q is not in the vocab", rank, p[0])
		}
		b, ok := j.Vocab[p[1]]
		if !ok {
			return nil, fmt.Errorf("BPE model: merge %d: %q is not in the vocab", rank, p[1])
		}
		// The right part loses its continuing-subword prefix when merged.
		right := p[1]
		if len(right) < len(m.prefix) {
			return nil, fmt.Errorf("BPE model: merge %d: %q is shorter than the subword prefix", rank, right)
		}
		merged := p[0] + right[len(m.prefix):]
		n, ok := j.Vocab[merged]
		if !ok {
			return nil, fmt.Errorf("BPE model: merge %d: result %q is not in the vocab", rank, merged)
		}
		// A repeated pair keeps its last rank, as in tokenizers' hash map.
		m.merges[pairKey(int32(a), int32(b))] = bpeMerge{rank: int32(rank), newID: int32(n)}
	}
	return m, nil
}

// parseMerges accepts both layouts: ["a b", …] (older files) and [["a","b"], …].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("no merges")
	}
	var asStrings []string
	if err := json.Unmarshal(raw, &asStrings); err == nil {
		out := make([][2]string, 0, len(asStrings))
		rank := 0
		for _, line := range asStrings {
			if strings.HasPrefix(line, "#version") {
				continue
			}
			parts := strings.Split(line, " ")
			if len(parts) != 2 {
				return nil, fmt.Errorf("merge %d: %q is not two tokens separated by one space", rank, line)
			}
			out = append(out, [2]string{parts[0], parts[1]})
			rank++
		}
		return out, nil
	}
	var asPairs [][2]string
	if err := json.Unmarshal(raw, &asPairs); err != nil {
		return nil, fmt.Errorf("merges are neither strings nor pairs of strings: %w", err)
	}
	return asPairs, nil
}

func (m *bpeModel) kind() string { return "bpe" }

func (m *bpeModel) tokenToID(tok string) (int, bool) {
	id, ok := m.vocab[tok]
	return id, ok
}

func (m *bpeModel) idToToken(id int) (string, bool) {
	if id < 0 || id >= len(m.vocabR) || !m.vocabOK[id] {
		return "", false
	}
	return m.vocabR[id], true
}

func (m *bpeModel) vocabStrings() int { return len(m.vocab) }

func (m *bpeModel) forEachToken(fn func(string)) {
	for tok := range m.vocab {
		fn(tok)
	}
}

func (m *bpeModel) tokenize(word string, enc *encoding) error {
	if word == "" {
		return nil
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			enc.add(id, word)
			return nil
		}
	}
	ids, ok := m.cache.get(word)
	if !ok {
		ids = m.mergeWord(word)
		m.cache.put(word, ids)
	}
	for _, id := range ids {
		enc.add(int(id), m.vocabR[id])
	}
	return nil
}

// bpeSymbol is one symbol of a word being merged, in a linked list over the
// word's initial symbols.
type bpeSymbol struct {
	id         int32
	prev, next int32
	size       int32 // bytes of the word it covers; 0 once merged into its left neighbour
}

// mergeWord splits word into its initial symbols and applies the merges; it
// follows tokenizers' merge_word and Word::merge_all.
func (m *bpeModel) mergeWord(word string) []int32 {
	syms := make([]bpeSymbol, 0, utf8.RuneCountInString(word))
	add := func(id int, size int) {
		n := int32(len(syms))
		syms = append(syms, bpeSymbol{id: int32(id), prev: n - 1, next: n + 1, size: int32(size)})
	}
	unkPending, unkSize := false, 0
	for i := 0; i < len(word); {
		_, size := utf8.DecodeRuneInString(word[i:])
		s := word[i : i+size]
		if i > 0 {
			s = m.prefix + s
		}
		if i+size == len(word) {
			s += m.suffix
		}
		i += size
		if id, ok := m.vocab[s]; ok {
			if unkPending {
				add(m.unkID, unkSize)
				unkPending = false
			}
			add(id, size)
			continue
		}
		if m.byteFallback && m.addByteTokens(s, add) {
			continue
		}
		if m.unkID < 0 {
			continue // tokenizers drops a character it cannot represent
		}
		switch {
		case unkPending && m.fuseUnk:
			unkSize += size
		case unkPending:
			add(m.unkID, unkSize)
			unkSize = size
		default:
			unkPending, unkSize = true, size
		}
	}
	if unkPending {
		add(m.unkID, unkSize)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	m.mergeAll(syms)
	out := make([]int32, 0, len(syms))
	for _, s := range syms {
		if s.size != 0 {
			out = append(out, s.id)
		}
	}
	return out
}

// addByteTokens adds <0xXX> tokens for every byte of s, when all exist.
func (m *bpeModel) addByteTokens(s string, add func(id, size int)) bool {
	ids := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		id, ok := m.vocab[fmt.Sprintf("<0x%02X>", s[i])]
		if !ok {
			return false
		}
		ids[i] = id
	}
	for _, id := range ids {
		add(id, 1)
	}
	return true
}

// mergeAll repeatedly applies the lowest-ranked merge (leftmost on ties).
func (m *bpeModel) mergeAll(syms []bpeSymbol) {
	var q mergeQueue
	for i := 0; i+1 < len(syms); i++ {
		if mg, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			q.push(mergeItem{rank: mg.rank, pos: int32(i), newID: mg.newID})
		}
	}
	for q.len() > 0 {
		top := q.pop()
		cur := &syms[top.pos]
		if cur.size == 0 || cur.next < 0 {
			continue
		}
		nextPos := cur.next
		right := syms[nextPos]
		// Skip entries made stale by an earlier merge.
		if mg, ok := m.merges[pairKey(cur.id, right.id)]; !ok || mg.newID != top.newID {
			continue
		}
		cur.id = top.newID
		cur.size += right.size
		cur.next = right.next
		syms[nextPos].size = 0
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if mg, ok := m.merges[pairKey(syms[cur.prev].id, cur.id)]; ok {
				q.push(mergeItem{rank: mg.rank, pos: cur.prev, newID: mg.newID})
			}
		}
		if cur.next >= 0 {
			if mg, ok := m.merges[pairKey(cur.id, syms[cur.next].id)]; ok {
				q.push(mergeItem{rank: mg.rank, pos: top.pos, newID: mg.newID})
			}
		}
	}
}

type mergeItem struct {
	rank, pos, newID int32
}

func (a mergeItem) less(b mergeItem) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

// mergeQueue is a binary min-heap of pending merges.
type mergeQueue struct{ items []mergeItem }

func (q *mergeQueue) len() int { return len(q.items) }

func (q *mergeQueue) push(it mergeItem) {
	q.items = append(q.items, it)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.items[i].less(q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

func (q *mergeQueue) pop() mergeItem {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < last && q.items[l].less(q.items[small]) {
			small = l
		}
		if r < last && q.items[r].less(q.items[small]) {
			small = r
		}
		if small == i {
			return top
		}
		q.items[i], q.items[small] = q.items[small], q.items[i]
		i = small
	}
}
