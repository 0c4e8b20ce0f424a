package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// maxHeaderSize bounds the JSON header, as the reference implementation does,
// so a corrupt length cannot make us allocate or scan gigabytes.
const maxHeaderSize = 100 << 20

const metadataKey = "__metadata__"

// entry is one tensor of a parsed header; begin and end are absolute offsets
// into the file.
type entry struct {
	dtype      DType
	shape      []int
	begin, end int
}

type header struct {
	entries  map[string]entry
	metadata map[string]string
}

type rawEntry struct {
	DType       DType     `json:"dtype"`
	Shape       []int64   `json:"shape"`
	DataOffsets []float64 `json:"data_offsets"`
}

// parseHeader validates the header of a safetensors file held in b (the whole
// file) and returns its tensors with absolute offsets.
func parseHeader(b []byte) (*header, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length field", n, len(b)-8)
	}
	dataStart := 8 + int(n)
	dataLen := len(b) - dataStart
	raw := b[8:dataStart]

	h := &header{entries: map[string]entry{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("header is not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header JSON: %w", err)
		}
		name, _ := tok.(string)
		if _, dup := h.entries[name]; dup || (name == metadataKey && h.metadata != nil) {
			return nil, fmt.Errorf("tensor %s: listed twice in the header", name)
		}
		if name == metadataKey {
			if err := dec.Decode(&h.metadata); err != nil {
				return nil, fmt.Errorf("header %s: not a map of strings: %w", metadataKey, err)
			}
			if h.metadata == nil {
				h.metadata = map[string]string{}
			}
			continue
		}
		var r rawEntry
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("tensor %s: header JSON: %w", name, err)
		}
		e, err := checkEntry(r, dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", name, err)
		}
		e.begin += dataStart
		e.end += dataStart
		h.entries[name] = e
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	// The writer pads with spaces; anything else after the object is garbage.
	if rest := raw[dec.InputOffset():]; len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return nil, errors.New("header JSON: trailing data after the object")
	}
	if err := checkOverlap(h.entries); err != nil {
		return nil, err
	}
	return h, nil
}

func checkEntry(r rawEntry, dataLen int) (entry, error) {
	size := r.DType.Size()
	if size == 0 {
		if r.DType == "" {
			return entry{}, errors.New("no dtype")
		}
		return entry{}, fmt.Errorf("dtype %s not supported", r.DType)
	}
	if r.Shape == nil {
		return entry{}, errors.New("no shape")
	}
	if len(r.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("data_offsets has %d values, want 2", len(r.DataOffsets))
	}
	// Offsets come as JSON numbers; reject fractions, negatives and values
	// beyond the file before converting.
	var off [2]int
	for i, v := range r.DataOffsets {
		if v < 0 || v != math.Trunc(v) || v > float64(dataLen) {
			return entry{}, fmt.Errorf("data_offsets %v outside the %d-byte data section", r.DataOffsets, dataLen)
		}
		off[i] = int(v)
	}
	if off[0] > off[1] {
		return entry{}, fmt.Errorf("data_offsets %v: begin after end", r.DataOffsets)
	}
	shape := make([]int, len(r.Shape))
	count := uint64(1)
	for i, d := range r.Shape {
		if d < 0 {
			return entry{}, fmt.Errorf("shape %v has a negative dimension", r.Shape)
		}
		shape[i] = int(d)
		if d != 0 && count > math.MaxInt64/uint64(d) {
			return entry{}, fmt.Errorf("shape %v overflows", r.Shape)
		}
		count *= uint64(d)
	}
	if count > uint64(dataLen) || count*uint64(size) != uint64(off[1]-off[0]) {
		return entry{}, fmt.Errorf("shape %v of %s needs %d×%d bytes, data_offsets %v hold %d",
			r.Shape, r.DType, count, size, r.DataOffsets, off[1]-off[0])
	}
	return entry{dtype: r.DType, shape: shape, begin: off[0], end: off[1]}, nil
}

func checkOverlap(entries map[string]entry) error {
	type span struct {
		name       string
		begin, end int
	}
	spans := make([]span, 0, len(entries))
	for name, e := range entries {
		if e.end > e.begin { // empty tensors occupy no bytes
			spans = append(spans, span{name, e.begin, e.end})
		}
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].name < spans[j].name
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return fmt.Errorf("tensor %s overlaps tensor %s", spans[i].name, spans[i-1].name)
		}
	}
	return nil
}
