package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Tensor is one tensor to write: raw little-endian data in the given dtype.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32Bytes encodes x little-endian.
func F32Bytes(x []float32) []byte {
	out := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

// I8Bytes reinterprets x as bytes (a copy).
func I8Bytes(x []int8) []byte {
	out := make([]byte, len(x))
	for i, v := range x {
		out[i] = byte(v)
	}
	return out
}

// WriteFile writes one safetensors file atomically: a temp file in the same
// folder, fsync, rename. Tensors are laid out as the Python library does:
// largest element size first, then by name, so every tensor starts at a
// multiple of its element size; the header is padded with spaces to 8 bytes.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	data := make(map[string][]byte, len(tensors))
	for _, t := range tensors {
		if t.Data == nil {
			t.Data = []byte{}
		}
		data[t.Name] = t.Data
	}
	return WriteFileFunc(path, tensors, metadata, func(name string) ([]byte, error) { return data[name], nil })
}

// WriteFileFunc is WriteFile for tensors made one at a time, so that a file larger than
// memory can be written: specs give each tensor's name, dtype and shape (their Data is
// not used), and data is called once per tensor, in the file's order, for its bytes.
func WriteFileFunc(path string, specs []Tensor, metadata map[string]string, data func(name string) ([]byte, error)) (err error) {
	order, err := checkTensors(specs)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	hdr, err := encodeHeader(order, metadata)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", base, err)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	w.Write(n[:])
	w.Write(hdr)
	for _, t := range order {
		b, err := data(t.Name)
		if err != nil {
			return fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		if len(b) != t.bytes() {
			return fmt.Errorf("tensor %s: shape %v of %s needs %d bytes, data has %d", t.Name, t.Shape, t.DType, t.bytes(), len(b))
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable; not every filesystem allows syncing a folder.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// bytes is the size of the tensor's data as its dtype and shape say.
func (t Tensor) bytes() int { return Info{Shape: t.Shape}.NumElements() * t.DType.Size() }

func checkTensors(tensors []Tensor) ([]Tensor, error) {
	seen := map[string]bool{}
	for _, t := range tensors {
		if t.Name == metadataKey {
			return nil, fmt.Errorf("tensor name %s is reserved", metadataKey)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tensor %s: given twice", t.Name)
		}
		seen[t.Name] = true
		size := t.DType.Size()
		if size == 0 {
			return nil, fmt.Errorf("tensor %s: dtype %q not supported", t.Name, t.DType)
		}
		info := Info{Shape: t.Shape}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %s: shape %v has a negative dimension", t.Name, t.Shape)
			}
		}
		if t.Data != nil && info.NumElements()*size != len(t.Data) {
			return nil, fmt.Errorf("tensor %s: shape %v of %s needs %d bytes, data has %d",
				t.Name, t.Shape, t.DType, info.NumElements()*size, len(t.Data))
		}
	}
	order := slices.Clone(tensors)
	slices.SortFunc(order, func(a, b Tensor) int {
		return cmp.Or(cmp.Compare(b.DType.Size(), a.DType.Size()), cmp.Compare(a.Name, b.Name))
	})
	return order, nil
}

// encodeHeader writes the JSON by hand to keep the key order: __metadata__,
// then the tensors in data order, each as dtype, shape, data_offsets.
func encodeHeader(order []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	str := func(s string) error {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode appends a newline
		return nil
	}
	b.WriteByte('{')
	sep := ""
	if len(metadata) > 0 {
		b.WriteString(`"` + metadataKey + `":{`)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := str(k); err != nil {
				return nil, err
			}
			b.WriteByte(':')
			if err := str(metadata[k]); err != nil {
				return nil, err
			}
		}
		b.WriteByte('}')
		sep = ","
	}
	off := 0
	for _, t := range order {
		b.WriteString(sep)
		sep = ","
		if err := str(t.Name); err != nil {
			return nil, err
		}
		b.WriteString(`:{"dtype":"` + string(t.DType) + `","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteString(`],"data_offsets":[` + strconv.Itoa(off) + "," + strconv.Itoa(off+t.bytes()) + "]}")
		off += t.bytes()
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}
