package tests

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/models/weights"
)

const indexName = "model.safetensors.index.json"

// writeRandomCheckpoint writes into dst (which must not exist) a checkpoint in src's
// layout: src's config, processor and tokenizer files (tokDir's where src has none; ""
// for none), and every tensor the config implies with blip2.RandomStore's deterministic
// random values stored as dtype, in the shards src's index assigns them to (one
// model.safetensors when src has no index), with a new index. It works a tensor at a
// time, so the largest tensor's fp32 values are the most it holds; progress, when set,
// sees the bytes written of all.
func writeRandomCheckpoint(src, tokDir, dst string, dtype safetensors.DType, progress func(done, total int64)) error {
	cfg, err := hfconfig.Load(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, dir := range []string{src, tokDir} {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".json") || strings.HasPrefix(n, "model.safetensors") {
				continue
			}
			if _, err := os.Stat(filepath.Join(dst, n)); err == nil {
				continue // src's own file wins
			}
			data, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dst, n), data, 0o644); err != nil {
				return err
			}
		}
	}

	specs := blip2.ExpectedTensors(cfg)
	shardOf := map[string]string{}
	if raw, err := os.ReadFile(filepath.Join(src, indexName)); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(raw, &idx); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(src, indexName), err)
		}
		shardOf = idx.WeightMap
	}
	byShard := map[string][]weights.Spec{}
	var total int64
	for _, s := range specs {
		file := shardOf[s.Name]
		if file == "" {
			if len(shardOf) > 0 {
				return fmt.Errorf("%s lists no shard for %s", filepath.Join(src, indexName), s.Name)
			}
			file = "model.safetensors"
		}
		byShard[file] = append(byShard[file], s)
		total += size(s.Shape, dtype)
	}

	store := blip2.NewRandomStore(cfg, false, false)
	var done int64
	for _, file := range slices.Sorted(maps.Keys(byShard)) {
		var tensors []safetensors.Tensor
		for _, s := range byShard[file] {
			tensors = append(tensors, safetensors.Tensor{Name: s.Name, DType: dtype, Shape: s.Shape})
		}
		w, err := safetensors.Create(filepath.Join(dst, file), tensors, map[string]string{"format": "pt"})
		if err != nil {
			return err
		}
		for _, s := range byShard[file] {
			if err := writeRandomTensor(w, store, s.Name, dtype); err != nil {
				w.Abort()
				return err
			}
			done += size(s.Shape, dtype)
			if progress != nil {
				progress(done, total)
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	if len(shardOf) == 0 {
		return nil
	}
	weightMap := map[string]string{}
	for file, ss := range byShard {
		for _, s := range ss {
			weightMap[s.Name] = file
		}
	}
	index := map[string]any{"metadata": map[string]int64{"total_size": total}, "weight_map": weightMap}
	data, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, indexName), append(data, '\n'), 0o644)
}

// size is the bytes a tensor of shape takes in dtype.
func size(shape []int, dtype safetensors.DType) int64 {
	n := int64(dtype.Size())
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

// writeRandomTensor encodes the store's values of name as dtype a block at a time.
func writeRandomTensor(w *safetensors.FileWriter, store *blip2.RandomStore, name string, dtype safetensors.DType) error {
	vals, err := store.Float32(name)
	if err != nil {
		return err
	}
	const block = 1 << 20
	es := dtype.Size()
	buf := make([]byte, block*es)
	for lo := 0; lo < len(vals); lo += block {
		part := vals[lo:min(lo+block, len(vals))]
		b := buf[:len(part)*es]
		for i, v := range part {
			switch dtype {
			case safetensors.F32:
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			case safetensors.F16:
				binary.LittleEndian.PutUint16(b[2*i:], safetensors.F32ToF16(v))
			case safetensors.BF16:
				binary.LittleEndian.PutUint16(b[2*i:], safetensors.F32ToBF16(v))
			default:
				return fmt.Errorf("tensor %s: random weights in %s not supported", name, dtype)
			}
		}
		if err := w.WriteAt(name, b, int64(lo*es)); err != nil {
			return err
		}
	}
	return nil
}
