package quant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/safetensors"
)

// Options control WriteCheckpoint.
type Options struct {
	Plan Plan // which tensors are quantized, and how (required)
	// Bits is 8 (default) or 4: with 4 the tensors Plan.Int4 picks are stored as int4
	// groups of Group inputs (default 64) with fp16 scales, the rest as with 8.
	Bits, Group int
	ShardBytes  int64 // largest output shard (default 2 GB)
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
	switch {
	case opts.Bits == 0 || opts.Bits == 8:
		opts.Bits, opts.Group = 8, 0
	case opts.Bits == 4:
		if opts.Group == 0 {
			opts.Group = 64
		}
		if opts.Group < 0 || opts.Group%Q4Block != 0 {
			return rep, fmt.Errorf("quantize: group size %d is not a positive multiple of %d", opts.Group, Q4Block)
		}
		if opts.Plan.Int4 == nil {
			return rep, errors.New("quantize: the plan names no int4 tensors")
		}
	default:
		return rep, fmt.Errorf("quantize: %d bits not supported (8 or 4)", opts.Bits)
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

	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return rep, err
	}
	tmp, err := mkdirHidden(parent, filepath.Base(out)+".partial-")
	if err != nil {
		return rep, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	names := arc.Names()
	want := make([]safetensors.Info, len(names)) // what verify checks once arc is closed
	for i, n := range names {
		want[i], _ = arc.Info(n)
		rep.BytesIn += int64(want[i].NumElements() * want[i].DType.Size())
	}
	shards := planShards(arc, names, opts)
	var done int64
	scales := map[string][]byte{} // scales made with their weight, until their shard is written
	for i, shard := range shards {
		path := filepath.Join(tmp, fmt.Sprintf("shard-%05d.safetensors", i))
		w, err := safetensors.Create(path, shard, map[string]string{"format": "pt"})
		if err != nil {
			return rep, err
		}
		for _, t := range shard {
			if err := ctx.Err(); err != nil {
				w.Abort()
				return rep, err
			}
			if s, ok := scales[t.Name]; ok {
				delete(scales, t.Name)
				err = w.WriteAt(t.Name, s, 0)
			} else {
				info, _ := arc.Info(t.Name)
				scaleName := strings.TrimSuffix(t.Name, ".weight") + ".weight_scale"
				switch {
				case t.DType == safetensors.I8 && info.DType != safetensors.I8:
					rep.Quantized++
					var s []float32
					s, err = quantizeInto(w, arc, t.Name, t.Shape[0], t.Shape[1])
					scales[scaleName] = safetensors.F32Bytes(s)
				case t.DType == safetensors.U8 && info.DType != safetensors.U8:
					rep.Quantized++
					scales[scaleName], err = quantize4Into(w, arc, t.Name, info.Shape[0], info.Shape[1], opts.Group)
				default:
					err = copyInto(w, arc, t.Name)
				}
				rep.Tensors++
				done += int64(info.NumElements() * info.DType.Size())
				if err == nil && opts.Progress != nil {
					opts.Progress(done, rep.BytesIn)
				}
			}
			if err != nil {
				w.Abort()
				return rep, fmt.Errorf("tensor %s: %w", t.Name, err)
			}
			n := dataBytes(t)
			rep.BytesOut += n
		}
		if err := w.Close(); err != nil {
			return rep, err
		}
	}
	// The input is done with: its mapping goes before the output is loaded back.
	if err := arc.Close(); err != nil {
		return rep, err
	}
	var shardNames [][]string
	for _, shard := range shards {
		var ns []string
		for _, t := range shard {
			ns = append(ns, t.Name)
		}
		shardNames = append(shardNames, ns)
	}
	if err := nameShards(tmp, shardNames); err != nil {
		return rep, err
	}
	q := hfconfig.QuantizationConfig{Method: hfconfig.MethodEdgeInt8, Bits: 8, Scheme: hfconfig.SchemeSymmetricChan,
		WeightOnly: opts.Plan.WeightOnly, W8A8: opts.Plan.W8A8}
	if opts.Bits == 4 {
		q.Method, q.Bits, q.Scheme, q.GroupSize = hfconfig.MethodEdgeInt4, 4, hfconfig.SchemeSymmetricGroup, opts.Group
	}
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
	if err := verify(tmp, want, opts.Group); err != nil {
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
// shape (int4 ones packed, in groups of g), and every quantized weight has its scales.
func verify(dir string, in []safetensors.Info, g int) error {
	out, err := safetensors.Open(dir)
	if err != nil {
		return err
	}
	defer out.Close()
	var errs []error
	for _, want := range in {
		n := want.Name
		got, ok := out.Info(n)
		if ok && got.DType == safetensors.U8 && g > 0 && len(want.Shape) == 2 {
			s, sok := out.Info(strings.TrimSuffix(n, ".weight") + ".weight_scale")
			if !slices.Equal(got.Shape, []int{want.Shape[0], Q4RowBytes(want.Shape[1], g)}) ||
				!sok || !slices.Equal(s.Shape, []int{want.Shape[0], Q4Groups(want.Shape[1], g)}) {
				errs = append(errs, fmt.Errorf("tensor %s: packed int4 weight or its scales reshaped", n))
			}
			continue
		}
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

// planShards lists the output tensors (the int8 ones followed by their scales) in input
// name order and cuts them into shards of about opts.ShardBytes, before any data is read.
func planShards(arc *safetensors.Archive, names []string, opts Options) [][]safetensors.Tensor {
	var (
		shards [][]safetensors.Tensor
		cur    []safetensors.Tensor
		bytes  int64
	)
	add := func(t safetensors.Tensor) {
		cur = append(cur, t)
		n := dataBytes(t)
		if bytes += n; bytes >= opts.ShardBytes {
			shards, cur, bytes = append(shards, cur), nil, 0
		}
	}
	for _, n := range names {
		info, _ := arc.Info(n)
		float := info.DType == safetensors.F32 || info.DType == safetensors.F16 || info.DType == safetensors.BF16
		if !float || len(info.Shape) != 2 || opts.Plan.Role(n, info.Shape) == Keep {
			add(safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape})
			continue
		}
		if opts.Bits == 4 && opts.Plan.Int4(n, info.Shape) {
			rows, cols := info.Shape[0], info.Shape[1]
			add(safetensors.Tensor{Name: n, DType: safetensors.U8, Shape: []int{rows, Q4RowBytes(cols, opts.Group)}})
			add(safetensors.Tensor{Name: strings.TrimSuffix(n, ".weight") + ".weight_scale", DType: safetensors.F16, Shape: []int{rows, Q4Groups(cols, opts.Group)}})
			continue
		}
		add(safetensors.Tensor{Name: n, DType: safetensors.I8, Shape: info.Shape})
		add(safetensors.Tensor{Name: strings.TrimSuffix(n, ".weight") + ".weight_scale", DType: safetensors.F32, Shape: info.Shape[:1]})
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	return shards
}

// dataBytes is the bytes t's shape and dtype take.
func dataBytes(t safetensors.Tensor) int64 {
	n := int64(t.DType.Size())
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// copyInto writes a kept tensor's stored bytes straight from the input's mapping, and
// lets its pages go.
func copyInto(w *safetensors.FileWriter, arc *safetensors.Archive, name string) error {
	b, err := arc.Bytes(name)
	if err != nil {
		return err
	}
	if err := w.WriteAt(name, b, 0); err != nil {
		return err
	}
	arc.Release(name)
	return nil
}

// quantizeBlock is how many rows a quantizing worker converts and writes at a time.
const quantizeBlock = 64

// quantizeInto quantizes a float matrix [rows, cols] a block of rows at a time on every
// core, writing each block's int8 rows at their place as it goes (one block of floats and
// one of int8 per worker, never the whole tensor), and returns the scales.
func quantizeInto(w *safetensors.FileWriter, arc *safetensors.Archive, name string, rows, cols int) ([]float32, error) {
	scales := make([]float32, rows)
	blocks := (rows + quantizeBlock - 1) / quantizeBlock
	workers := min(goruntime.GOMAXPROCS(0), blocks)
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			f := make([]float32, quantizeBlock*cols)
			q := make([]int8, quantizeBlock*cols)
			b := make([]byte, quantizeBlock*cols)
			for {
				blk := int(next.Add(1) - 1)
				if blk >= blocks {
					return
				}
				lo, hi := blk*quantizeBlock, min((blk+1)*quantizeBlock, rows)
				n := (hi - lo) * cols
				if err := arc.Float32Rows(name, cols, lo, hi, f[:n]); err != nil {
					errs[wk] = err
					return
				}
				for r := lo; r < hi; r++ {
					scales[r] = QuantizeRow(f[(r-lo)*cols:(r-lo+1)*cols], q[(r-lo)*cols:(r-lo+1)*cols])
				}
				for i, v := range q[:n] {
					b[i] = byte(v)
				}
				if err := w.WriteAt(name, b[:n], int64(lo*cols)); err != nil {
					errs[wk] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	arc.Release(name)
	return scales, nil
}

// quantize4Into is quantizeInto for int4 groups of g: packed rows are written at their
// place block by block; it returns the fp16 scales as stored bytes.
func quantize4Into(w *safetensors.FileWriter, arc *safetensors.Archive, name string, rows, cols, g int) ([]byte, error) {
	rb, ng := Q4RowBytes(cols, g), Q4Groups(cols, g)
	scales := make([]uint16, rows*ng)
	blocks := (rows + quantizeBlock - 1) / quantizeBlock
	workers := min(goruntime.GOMAXPROCS(0), blocks)
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			f := make([]float32, quantizeBlock*cols)
			q := make([]byte, quantizeBlock*rb)
			for {
				blk := int(next.Add(1) - 1)
				if blk >= blocks {
					return
				}
				lo, hi := blk*quantizeBlock, min((blk+1)*quantizeBlock, rows)
				if err := arc.Float32Rows(name, cols, lo, hi, f[:(hi-lo)*cols]); err != nil {
					errs[wk] = err
					return
				}
				for r := lo; r < hi; r++ {
					QuantizeRowQ4(f[(r-lo)*cols:(r-lo+1)*cols], g, q[(r-lo)*rb:(r-lo+1)*rb], scales[r*ng:(r+1)*ng])
				}
				if err := w.WriteAt(name, q[:(hi-lo)*rb], int64(lo*rb)); err != nil {
					errs[wk] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	arc.Release(name)
	out := make([]byte, 2*len(scales))
	for i, s := range scales {
		out[2*i], out[2*i+1] = byte(s), byte(s>>8)
	}
	return out, nil
}

// mkdirHidden makes a new folder in parent named prefix and a random suffix, mode 0755
// less the umask (os.MkdirTemp's folders are private, 0700).
func mkdirHidden(parent, prefix string) (string, error) {
	for range 100 {
		dir := filepath.Join(parent, prefix+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Mkdir(dir, 0o755)
		if !errors.Is(err, fs.ErrExist) {
			return dir, err
		}
	}
	return "", fmt.Errorf("no free temporary name %s* in %s", prefix, parent)
}
