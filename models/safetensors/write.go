package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
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
	for _, t := range tensors {
		if n, ok := dataSize(t); ok && n != int64(len(t.Data)) {
			return fmt.Errorf("write %s: tensor %s: shape %v of %s needs %d bytes, data has %d",
				filepath.Base(path), t.Name, t.Shape, t.DType, n, len(t.Data))
		}
	}
	w, err := Create(path, tensors, metadata)
	if err != nil {
		return err
	}
	for _, t := range tensors {
		if err := w.WriteAt(t.Name, t.Data, 0); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// FileWriter writes one safetensors file whose tensors (names, dtypes, shapes) are known
// before their data: the header goes first, then each tensor's bytes at their place, in
// any order and from several goroutines at once, so that a writer need hold neither a
// whole file nor a whole tensor. The file appears under its name only at Close, when
// every byte has been written; until then it is a hidden temporary beside it.
type FileWriter struct {
	f     *os.File
	path  string
	spans map[string]span

	mu      sync.Mutex
	written map[string]int64
	err     error // the first failed write: Close reports it
}

type span struct{ at, size int64 } // file offset and length of a tensor's data

// Create starts path with the header of tensors (their Data is not used; give it to
// WriteAt), laid out as WriteFile lays them out. The temporary file is created with mode
// 0644 less the umask, as an ordinary file is.
func Create(path string, tensors []Tensor, metadata map[string]string) (*FileWriter, error) {
	base := filepath.Base(path)
	order, err := checkTensors(tensors)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", base, err)
	}
	hdr, err := encodeHeader(order, metadata)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", base, err)
	}
	w := &FileWriter{path: path, spans: make(map[string]span, len(order)), written: map[string]int64{}}
	at := int64(8 + len(hdr))
	for _, t := range order {
		n, _ := dataSize(t)
		w.spans[t.Name] = span{at, n}
		at += n
	}
	dir := filepath.Dir(path)
	if w.f, err = createHidden(dir, "."+base+".tmp-"); err != nil {
		return nil, fmt.Errorf("write %s: %w", base, err)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	if _, err := w.f.Write(append(n[:], hdr...)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write %s: %w", base, err)
	}
	// The full length up front: tensors may then be written in any order.
	if err := w.f.Truncate(at); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write %s: %w", base, err)
	}
	return w, nil
}

// createHidden creates a new file in dir named prefix and a random suffix, mode 0644
// less the umask (os.CreateTemp's files are private, 0600).
func createHidden(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name %s* in %s", prefix, dir)
}

// WriteAt writes p at byte off of the named tensor's data. Each byte of each tensor must
// be written exactly once; calls may run concurrently.
func (w *FileWriter) WriteAt(name string, p []byte, off int64) error {
	s, ok := w.spans[name]
	if !ok || off < 0 || off+int64(len(p)) > s.size {
		return fmt.Errorf("write %s: tensor %s: %d bytes at %d outside its %d", filepath.Base(w.path), name, len(p), off, s.size)
	}
	_, err := w.f.WriteAt(p, s.at+off)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("write %s: tensor %s: %w", filepath.Base(w.path), name, err)
		w.err = cmp.Or(w.err, err)
		return err
	}
	w.written[name] += int64(len(p))
	return nil
}

// Close checks that every tensor was written whole, syncs the file and renames it into
// place; on any failure the temporary is removed.
func (w *FileWriter) Close() (err error) {
	defer func() {
		if err != nil {
			w.Abort()
			err = fmt.Errorf("write %s: %w", filepath.Base(w.path), err)
		}
	}()
	if w.err != nil {
		return w.err
	}
	for name, s := range w.spans {
		if w.written[name] != s.size {
			return fmt.Errorf("tensor %s: %d of its %d bytes written", name, w.written[name], s.size)
		}
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return err
	}
	// Make the rename itself durable; not every filesystem allows syncing a folder.
	if d, derr := os.Open(filepath.Dir(w.path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file; the file at path is untouched.
func (w *FileWriter) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// dataSize is the bytes t's shape and dtype take (false for an unknown dtype).
func dataSize(t Tensor) (int64, bool) {
	n := int64(t.DType.Size())
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n, t.DType.Size() > 0
}

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
		if t.DType.Size() == 0 {
			return nil, fmt.Errorf("tensor %s: dtype %q not supported", t.Name, t.DType)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %s: shape %v has a negative dimension", t.Name, t.Shape)
			}
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
	var off int64
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
		n, _ := dataSize(t)
		b.WriteString(`],"data_offsets":[` + strconv.FormatInt(off, 10) + "," + strconv.FormatInt(off+n, 10) + "]}")
		off += n
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}
