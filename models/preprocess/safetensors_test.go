package preprocess

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// readF32Tensors is a minimal safetensors reader for the goldens: an 8-byte
// little-endian header length, a JSON header, then raw little-endian data.
// It returns every F32 tensor whose name passes keep.
func readF32Tensors(path string, keep func(string) bool) (map[string][]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%s: too short", path)
	}
	n := binary.LittleEndian.Uint64(data)
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("%s: header length %d past end", path, n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	body := data[8+n:]
	out := map[string][]float32{}
	for name, raw := range hdr {
		if name == "__metadata__" || !keep(name) {
			continue
		}
		var info struct {
			Dtype   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", path, name, err)
		}
		if info.Dtype != "F32" {
			return nil, fmt.Errorf("%s: tensor %s: dtype %s, want F32", path, name, info.Dtype)
		}
		count := int64(1)
		for _, d := range info.Shape {
			count *= int64(d)
		}
		lo, hi := info.Offsets[0], info.Offsets[1]
		if lo < 0 || hi < lo || hi > int64(len(body)) || hi-lo != 4*count {
			return nil, fmt.Errorf("%s: tensor %s: bad offsets %v for shape %v", path, name, info.Offsets, info.Shape)
		}
		vals := make([]float32, count)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[lo+4*int64(i):]))
		}
		out[name] = vals
	}
	return out, nil
}
