package blip2

import (
	"fmt"
	"slices"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

// Checkpoint is what a checkpoint folder says about itself from its config and the
// safetensors headers alone: no weight is read.
type Checkpoint struct {
	Dir    string
	Config *hfconfig.Config
	// DTypes counts the stored tensors by dtype; StoredBytes is their data on disk.
	DTypes      map[string]int
	StoredBytes int64
	// Missing names the tensors the config implies that the files lack (or hold in
	// another shape): a folder with any cannot be loaded.
	Missing []string
	// stored is each tensor's stored dtype and size in bytes, for Need.
	stored map[string]storedTensor
}

type storedTensor struct {
	dtype string
	bytes int64
}

// Inspect reads dir's config.json and safetensors headers and checks that every tensor
// the config implies is there with its shape.
func Inspect(dir string) (*Checkpoint, error) {
	cfg, err := hfconfig.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	arc, err := safetensors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	defer arc.Close()
	c := &Checkpoint{Dir: dir, Config: cfg, DTypes: map[string]int{}, stored: map[string]storedTensor{}}
	for _, n := range arc.Names() {
		info, _ := arc.Info(n)
		size := int64(info.NumElements() * info.DType.Size())
		c.DTypes[string(info.DType)]++
		c.StoredBytes += size
		c.stored[n] = storedTensor{string(info.DType), size}
	}
	for _, s := range ExpectedTensors(cfg) {
		info, ok := arc.Info(s.Name)
		if !ok && s.Name == "language_model.lm_head.weight" {
			continue // tied to the token embeddings when not stored
		}
		if !ok || !sameElements(info.Shape, s.Shape) {
			c.Missing = append(c.Missing, s.Name)
		}
	}
	return c, nil
}

// sameElements compares shapes up to leading 1s (the hub stores class_embedding as
// [1, 1, d], for instance, where a binder may ask for [d]).
func sameElements(a, b []int) bool {
	trim := func(s []int) []int {
		for len(s) > 1 && s[0] == 1 {
			s = s[1:]
		}
		return s
	}
	return slices.Equal(trim(a), trim(b))
}
