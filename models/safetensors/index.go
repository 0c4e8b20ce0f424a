package safetensors

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// openIndex opens every shard a model.safetensors.index.json names and keeps
// the tensors its weight_map lists.
func openIndex(path string) (_ *Archive, err error) {
	base := filepath.Base(path)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("load %s: %w", base, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("load %s: no weight_map", base)
	}
	dir := filepath.Dir(path)
	a := &Archive{tensors: make(map[string]located, len(idx.WeightMap))}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	files := slices.Sorted(maps.Keys(invert(idx.WeightMap)))
	byName := map[string]*header{}
	shards := map[string]*shard{}
	for _, file := range files {
		// A shard is a plain name beside the index; refuse paths that escape it.
		if file == "" || file != filepath.Base(file) || strings.ContainsAny(file, `/\`) || file == ".." {
			return nil, fmt.Errorf("load %s: shard name %q is not a file name", base, file)
		}
		s, h, err := loadShard(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", base, err)
		}
		a.shards = append(a.shards, s)
		shards[file], byName[file] = s, h
	}
	for name, file := range idx.WeightMap {
		e, ok := byName[file].entries[name]
		if !ok {
			return nil, fmt.Errorf("load %s: tensor %s: listed in %s but absent from it", file, name, base)
		}
		a.tensors[name] = located{e, shards[file]}
	}
	a.names = slices.Sorted(maps.Keys(a.tensors))
	return a, nil
}

func invert(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}
