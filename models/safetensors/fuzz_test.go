package safetensors

import (
	"encoding/binary"
	"testing"
)

// FuzzHeader parses arbitrary bytes as a whole file: it must return an error
// or a header whose entries all lie inside the file, never panic.
func FuzzHeader(f *testing.F) {
	seed := func(hdr string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		return append(append(b, hdr...), make([]byte, data)...)
	}
	f.Add(seed(`{"__metadata__":{"format":"pt"},"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}`, 8))
	f.Add(seed(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[],"data_offsets":[8,9]}}`, 9))
	f.Add(seed(`{"w":{"dtype":"I64","shape":[9223372036854775807,2],"data_offsets":[0,16]}}`, 16))
	f.Add(seed(`{"w":{"dtype":"BF16","shape":[0],"data_offsets":[1e300,-1]}}`, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			return
		}
		for name, e := range h.entries {
			if e.begin < 8 || e.begin > e.end || e.end > len(b) {
				t.Fatalf("tensor %q: [%d,%d] outside a %d-byte file", name, e.begin, e.end, len(b))
			}
			n := (Info{Shape: e.shape}).NumElements()
			if n*e.dtype.Size() != e.end-e.begin {
				t.Fatalf("tensor %q: %d elements in %d bytes", name, n, e.end-e.begin)
			}
		}
	})
}
