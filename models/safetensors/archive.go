package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"unsafe"
)

// shard is one opened safetensors file.
type shard struct {
	name   string // base name, as errors and Info.File report it
	data   []byte // the whole file
	mapped bool   // data is a mapping to unmap on Close (else a heap copy)
	meta   map[string]string
}

type located struct {
	entry
	shard *shard
}

// Archive is an opened checkpoint: one file or all shards of an index.
// Reads may run concurrently; Close must not run alongside them, and slices
// from Bytes are invalid after Close.
type Archive struct {
	shards  []*shard
	tensors map[string]located
	names   []string
	closed  bool
}

const (
	singleName = "model.safetensors"
	indexName  = "model.safetensors.index.json"
)

// Open takes a .safetensors file, a model.safetensors.index.json, or a folder
// holding model.safetensors or model.safetensors.index.json (the index wins
// when both exist).
func Open(path string) (*Archive, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	if st.IsDir() {
		idx := filepath.Join(path, indexName)
		if _, err := os.Stat(idx); err == nil {
			return openIndex(idx)
		}
		single := filepath.Join(path, singleName)
		if _, err := os.Stat(single); err == nil {
			return openSingle(single)
		}
		return nil, fmt.Errorf("open checkpoint %s: folder has neither %s nor %s", path, indexName, singleName)
	}
	if filepath.Ext(path) == ".json" {
		return openIndex(path)
	}
	return openSingle(path)
}

func openSingle(path string) (*Archive, error) {
	s, h, err := loadShard(path)
	if err != nil {
		return nil, err
	}
	a := &Archive{shards: []*shard{s}, tensors: make(map[string]located, len(h.entries))}
	for name, e := range h.entries {
		a.tensors[name] = located{e, s}
	}
	a.names = slices.Sorted(maps.Keys(a.tensors))
	return a, nil
}

// loadShard maps (or, failing that, reads) one file and validates its header.
func loadShard(path string) (*shard, *header, error) {
	base := filepath.Base(path)
	fail := func(err error) (*shard, *header, error) {
		return nil, nil, fmt.Errorf("load %s: %w", base, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	size := st.Size()
	if size < 8 {
		return fail(fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", size))
	}
	if int64(int(size)) != size {
		return fail(fmt.Errorf("file of %d bytes too large for this platform", size))
	}
	s := &shard{name: base}
	if data, err := mapFile(f, int(size)); err == nil {
		s.data, s.mapped = data, true
	} else {
		// Some filesystems (FUSE, some network mounts) refuse mmap.
		data := make([]byte, size)
		if _, err := io.ReadFull(f, data); err != nil {
			return fail(err)
		}
		s.data = data
	}
	h, err := parseHeader(s.data)
	if err != nil {
		s.release()
		return fail(err)
	}
	s.meta = h.metadata
	return s, h, nil
}

func (s *shard) release() error {
	data, mapped := s.data, s.mapped
	s.data, s.mapped = nil, false
	if mapped {
		return unmapFile(data)
	}
	return nil
}

// Names lists every tensor, sorted.
func (a *Archive) Names() []string { return slices.Clone(a.names) }

// Info describes the named tensor.
func (a *Archive) Info(name string) (Info, bool) {
	t, ok := a.tensors[name]
	if !ok {
		return Info{}, false
	}
	return Info{Name: name, DType: t.dtype, Shape: slices.Clone(t.shape), File: t.shard.name}, true
}

func (a *Archive) lookup(name string) (located, error) {
	if a.closed {
		return located{}, fmt.Errorf("tensor %s: archive is closed", name)
	}
	t, ok := a.tensors[name]
	if !ok {
		return located{}, fmt.Errorf("tensor %s: not in the checkpoint", name)
	}
	return t, nil
}

// Bytes is the tensor's raw little-endian data: a read-only view into the
// mapping (writing to it faults), valid until Close.
func (a *Archive) Bytes(name string) ([]byte, error) {
	t, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	return t.shard.data[t.begin:t.end:t.end], nil
}

func (a *Archive) typed(name string, want ...DType) (located, []byte, error) {
	t, err := a.lookup(name)
	if err != nil {
		return t, nil, err
	}
	if !slices.Contains(want, t.dtype) {
		return t, nil, fmt.Errorf("load %s: tensor %s: dtype %s, want one of %v", t.shard.name, name, t.dtype, want)
	}
	return t, t.shard.data[t.begin:t.end:t.end], nil
}

// Float32 converts an F32, F16 or BF16 tensor to a new []float32, exactly.
func (a *Archive) Float32(name string) ([]float32, error) {
	t, b, err := a.typed(name, F32, F16, BF16)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(b)/t.dtype.Size())
	switch t.dtype {
	case F32:
		decodeF32(out, b)
	case F16:
		decodeF16(out, b)
	case BF16:
		decodeBF16(out, b)
	}
	return out, nil
}

// Float32Rows converts rows [lo, hi) of an F32, F16 or BF16 tensor read as rows of cols
// values into dst (len (hi-lo)·cols), exactly: a large tensor can be consumed a few rows
// at a time, with no copy of the whole.
func (a *Archive) Float32Rows(name string, cols, lo, hi int, dst []float32) error {
	t, b, err := a.typed(name, F32, F16, BF16)
	if err != nil {
		return err
	}
	size := t.dtype.Size()
	if cols <= 0 || lo < 0 || hi < lo || hi*cols*size > len(b) || len(dst) != (hi-lo)*cols {
		return fmt.Errorf("tensor %s: rows [%d, %d) of %d values from %d bytes into %d values", name, lo, hi, cols, len(b), len(dst))
	}
	b = b[lo*cols*size : hi*cols*size]
	switch t.dtype {
	case F32:
		decodeF32(dst, b)
	case F16:
		decodeF16(dst, b)
	case BF16:
		decodeBF16(dst, b)
	}
	return nil
}

// Release tells the system that the named tensor's bytes are done with: the pages of
// the mapping that lie wholly inside it are dropped from memory (they are read again
// from the file if touched), so a loader that has converted a tensor does not keep
// both copies resident. A heap-copied archive ignores it.
func (a *Archive) Release(name string) {
	t, err := a.lookup(name)
	if err != nil || !t.shard.mapped {
		return
	}
	page := pageSize
	begin := (t.begin + page - 1) / page * page
	end := t.end / page * page
	if end > begin {
		dropPages(t.shard.data[begin:end])
	}
}

// littleEndian reports a host that stores numbers as the files do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Float32View is an F32 tensor's values in place in the mapping, without a copy, where
// the layout allows: a mapped file (not a heap-read one), a little-endian host, a
// 4-byte-aligned, non-empty tensor; ok is false otherwise (use Float32). The values are
// read-only (writing faults) and valid until Close.
func (a *Archive) Float32View(name string) (_ []float32, ok bool) {
	t, b, err := a.typed(name, F32)
	if err != nil || !t.shard.mapped || !littleEndian || len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4), true
}

// Int8View is an I8 tensor's values in place in the mapping, as Float32View.
func (a *Archive) Int8View(name string) (_ []int8, ok bool) {
	t, b, err := a.typed(name, I8)
	if err != nil || !t.shard.mapped || len(b) == 0 {
		return nil, false
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b)), true
}

// HalfView is an F16 or BF16 tensor's raw values in place in the mapping (bf16 says
// which), as Float32View: a mapped file, a little-endian host, 2-byte alignment.
func (a *Archive) HalfView(name string) (_ []uint16, bf16, ok bool) {
	t, b, err := a.typed(name, F16, BF16)
	if err != nil || !t.shard.mapped || !littleEndian || len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%2 != 0 {
		return nil, false, false
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2), t.dtype == BF16, true
}

// Half copies an F16 or BF16 tensor's raw values; bf16 says which.
func (a *Archive) Half(name string) (_ []uint16, bf16 bool, _ error) {
	t, b, err := a.typed(name, F16, BF16)
	if err != nil {
		return nil, false, err
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out, t.dtype == BF16, nil
}

// Int8 copies an I8 tensor.
func (a *Archive) Int8(name string) ([]int8, error) {
	_, b, err := a.typed(name, I8)
	if err != nil {
		return nil, err
	}
	out := make([]int8, len(b))
	for i, v := range b {
		out[i] = int8(v)
	}
	return out, nil
}

// Int64 reads an I64 tensor, or an I32 one widened.
func (a *Archive) Int64(name string) ([]int64, error) {
	t, b, err := a.typed(name, I64, I32)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(b)/t.dtype.Size())
	if t.dtype == I64 {
		decodeI64(out, b)
	} else {
		decodeI32(out, b)
	}
	return out, nil
}

// Metadata is the __metadata__ map; for shards, their union (the first shard
// in name order wins a conflicting key). A copy: the caller may change it.
func (a *Archive) Metadata() map[string]string {
	out := map[string]string{}
	for i := len(a.shards) - 1; i >= 0; i-- {
		maps.Copy(out, a.shards[i].meta)
	}
	return out
}

// Close unmaps every file. Slices returned by Bytes must not be used after.
func (a *Archive) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	var errs []error
	for _, s := range a.shards {
		if err := s.release(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", s.name, err))
		}
	}
	return errors.Join(errs...)
}
