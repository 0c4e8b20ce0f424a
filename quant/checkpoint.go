package quant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

// Options control WriteCheckpoint.
type Options struct {
	Plan       Plan  // which tensors are quantized, and how (required)
	ShardBytes int64 // largest output shard (default 2 GB)
	// Progress is called after each tensor with the input bytes done and in total.
	Progress func(done, total int64)
	// Verify, when set, is run on the finished temporary folder before it is renamed to
	// the output (the CLI loads the model with it).
	Verify func(dir string) error
}

// Report says what WriteCheckpoint did.
type Report struct {
	Tensors, Quantized int
	BytesIn, BytesOut  int64 // tensor data bytes
}

// WriteCheckpoint reads the checkpoint folder in and writes an int8 copy to out. It
// writes into a temporary folder beside out, checks the result, and renames it to out
// only when complete: out never holds a half-written checkpoint.
func WriteCheckpoint(ctx context.Context, in, out string, opts Options) (rep Report, err error) {
	if opts.ShardBytes <= 0 {
		opts.ShardBytes = 2 << 30
	}
	if opts.Plan.Role == nil {
		return rep, errors.New("quantize: no plan says which tensors to quantize")
	}
	if _, err := os.Stat(out); err == nil {
		return rep, fmt.Errorf("output %s already exists: remove it or choose another folder", out)
	}
	rawCfg, err := os.ReadFile(filepath.Join(in, "config.json"))
	if err != nil {
		return rep, fmt.Errorf("checkpoint %s: %w", in, err)
	}
	cfg, err := hfconfig.Load(in)
	if err != nil {
		return rep, fmt.Errorf("checkpoint %s: %w", in, err)
	}
	if cfg.Quantization != nil {
		return rep, fmt.Errorf("checkpoint %s is already quantized (%s)", in, cfg.Quantization.Method)
	}
	arc, err := safetensors.Open(in)
	if err != nil {
		return rep, fmt.Errorf("checkpoint %s: %w", in, err)
	}
	defer arc.Close()

	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o755); err != nil {
		return rep, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), filepath.Base(out)+".partial-")
	if err != nil {
		return rep, err
	}
	// MkdirTemp makes a private folder; the checkpoint is an ordinary folder.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return rep, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	names := arc.Names()
	inputs := make(map[string]safetensors.Info, len(names)) // what verify compares, once arc is closed
	var total int64
	for _, n := range names {
		info, _ := arc.Info(n)
		inputs[n] = info
		total += int64(info.NumElements() * info.DType.Size())
	}
	rep.BytesIn = total

	// Each output tensor is planned from the input's header, then its bytes are made
	// when its shard file is written, one tensor at a time: no shard is held in memory.
	type planned struct {
		spec safetensors.Tensor
		from string // the input tensor it comes from
		what int    // copy, scales or values
	}
	const (
		copyBytes = iota
		rowScales
		rowValues
	)
	var (
		shard      []planned
		shardBytes int64
		shardNames [][]string
		done       int64
	)
	// rows decodes the input float matrix name a block of rows at a time, on every core
	// (each calls each for its own rows).
	rows := func(name string, cols, n int, each func(r int, row []float32)) error {
		const block = 64
		blocks := (n + block - 1) / block
		workers := min(goruntime.GOMAXPROCS(0), blocks)
		var next atomic.Int64
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for wk := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]float32, block*cols)
				for {
					lo := int(next.Add(1)-1) * block
					if lo >= n {
						return
					}
					hi := min(lo+block, n)
					if err := arc.Float32Rows(name, cols, lo, hi, buf[:(hi-lo)*cols]); err != nil {
						errs[wk] = err
						return
					}
					for r := lo; r < hi; r++ {
						each(r, buf[(r-lo)*cols:(r-lo+1)*cols])
					}
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	make1 := func(p planned) ([]byte, error) {
		info := inputs[p.from]
		switch p.what {
		case rowScales:
			n, cols := info.Shape[0], info.NumElements()/max(info.Shape[0], 1)
			scales := make([]float32, n)
			err := rows(p.from, cols, n, func(r int, row []float32) { scales[r] = RowScale(row) })
			return safetensors.F32Bytes(scales), err
		case rowValues:
			n, cols := info.Shape[0], info.NumElements()/max(info.Shape[0], 1)
			q := make([]int8, n*cols)
			err := rows(p.from, cols, n, func(r int, row []float32) {
				QuantizeRowWith(row, RowScale(row), q[r*cols:(r+1)*cols])
			})
			arc.Release(p.from)
			done += int64(info.NumElements() * info.DType.Size())
			return int8Bytes(q), err
		default:
			b, err := arc.Bytes(p.from)
			done += int64(len(b))
			return b, err // written before the next tensor is read: no copy needed
		}
	}
	flush := func() error {
		if len(shard) == 0 {
			return nil
		}
		path := filepath.Join(tmp, fmt.Sprintf("shard-%05d.safetensors", len(shardNames)))
		specs := make([]safetensors.Tensor, len(shard))
		byName := make(map[string]planned, len(shard))
		var ns []string
		for i, p := range shard {
			specs[i] = p.spec
			byName[p.spec.Name] = p
			ns = append(ns, p.spec.Name)
		}
		err := safetensors.WriteFileFunc(path, specs, map[string]string{"format": "pt"}, func(name string) ([]byte, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b, err := make1(byName[name])
			if opts.Progress != nil {
				opts.Progress(min(done, total), total)
			}
			return b, err
		})
		if err != nil {
			return err
		}
		for _, p := range shard {
			if p.what == copyBytes {
				arc.Release(p.from) // copied tensors' pages, once their shard is on disk
			}
		}
		shardNames = append(shardNames, ns)
		shard, shardBytes = nil, 0
		return nil
	}
	add := func(p planned) error {
		size := int64(safetensors.Info{Shape: p.spec.Shape}.NumElements() * p.spec.DType.Size())
		shard = append(shard, p)
		shardBytes += size
		rep.BytesOut += size
		if shardBytes >= opts.ShardBytes {
			return flush()
		}
		return nil
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		info := inputs[n]
		rep.Tensors++
		role := opts.Plan.Role(n, info.Shape)
		if role == Keep || (info.DType != safetensors.F32 && info.DType != safetensors.F16 && info.DType != safetensors.BF16) {
			if err := add(planned{spec: safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape}, from: n, what: copyBytes}); err != nil {
				return rep, err
			}
			continue
		}
		rep.Quantized++
		scaleName := strings.TrimSuffix(n, ".weight") + ".weight_scale"
		if err := add(planned{spec: safetensors.Tensor{Name: n, DType: safetensors.I8, Shape: info.Shape}, from: n, what: rowValues}); err != nil {
			return rep, err
		}
		if err := add(planned{spec: safetensors.Tensor{Name: scaleName, DType: safetensors.F32, Shape: []int{info.Shape[0]}}, from: n, what: rowScales}); err != nil {
			return rep, err
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	// The input is read; what follows (naming, config, verify) needs only its header.
	if err := arc.Close(); err != nil {
		return rep, err
	}
	if err := nameShards(tmp, shardNames); err != nil {
		return rep, err
	}
	q := hfconfig.QuantizationConfig{Method: hfconfig.MethodEdgeInt8, Bits: 8, Scheme: hfconfig.SchemeSymmetricChan,
		WeightOnly: opts.Plan.WeightOnly, W8A8: opts.Plan.W8A8}
	newCfg, err := hfconfig.WithQuantization(rawCfg, q)
	if err != nil {
		return rep, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "config.json"), newCfg, 0o644); err != nil {
		return rep, err
	}
	if err := copyOtherFiles(in, tmp); err != nil {
		return rep, err
	}
	if err := verify(tmp, names, inputs); err != nil {
		return rep, fmt.Errorf("verify %s: %w", tmp, err)
	}
	if opts.Verify != nil {
		if err := opts.Verify(tmp); err != nil {
			return rep, fmt.Errorf("verify the written checkpoint: %w", err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return rep, err
	}
	return rep, nil
}

// nameShards renames the shards to the hub's model-0000i-of-0000n names (or a single
// model.safetensors) and writes the index.
func nameShards(dir string, shards [][]string) error {
	if len(shards) == 1 {
		return os.Rename(filepath.Join(dir, "shard-00000.safetensors"), filepath.Join(dir, "model.safetensors"))
	}
	index := struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}{Metadata: map[string]any{}, WeightMap: map[string]string{}}
	var size int64
	for i, names := range shards {
		final := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := os.Rename(filepath.Join(dir, fmt.Sprintf("shard-%05d.safetensors", i)), filepath.Join(dir, final)); err != nil {
			return err
		}
		if st, err := os.Stat(filepath.Join(dir, final)); err == nil {
			size += st.Size()
		}
		for _, n := range names {
			index.WeightMap[n] = final
		}
	}
	index.Metadata["total_size"] = size
	data, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), append(data, '\n'), 0o644)
}

// copyOtherFiles copies the tokenizer, processor and generation files.
func copyOtherFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == "config.json" || strings.HasSuffix(n, ".safetensors") || n == "model.safetensors.index.json" {
			continue
		}
		if err := copyFile(filepath.Join(from, n), filepath.Join(to, n)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// verify reopens the written folder and checks every input tensor is there with its
// shape, and every int8 weight has its scales.
func verify(dir string, names []string, inputs map[string]safetensors.Info) error {
	out, err := safetensors.Open(dir)
	if err != nil {
		return err
	}
	defer out.Close()
	var errs []error
	for _, n := range names {
		want := inputs[n]
		got, ok := out.Info(n)
		if !ok || !slices.Equal(want.Shape, got.Shape) {
			errs = append(errs, fmt.Errorf("tensor %s missing or reshaped", n))
			continue
		}
		if got.DType == safetensors.I8 {
			s, ok := out.Info(strings.TrimSuffix(n, ".weight") + ".weight_scale")
			if !ok || !slices.Equal(s.Shape, want.Shape[:1]) {
				errs = append(errs, fmt.Errorf("tensor %s has no scales of shape [%d]", n, want.Shape[0]))
			}
		}
	}
	return errors.Join(errs...)
}

// int8Bytes is q's memory as bytes, without a copy (the tensor is written, then dropped).
func int8Bytes(q []int8) []byte {
	if len(q) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&q[0])), len(q))
}
