package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrInvalid marks a file that is not a well-formed TFLite model.
var ErrInvalid = errors.New("not a valid TFLite model")

// TensorInfo describes a subgraph input or output.
type TensorInfo struct {
	Name  string
	Shape []int
	Type  int8 // schema TensorType: 0 float32, 2 int32, 9 int8, …
}

// Info is what Verify learned about a model.
type Info struct {
	Version     uint32
	Description string
	Inputs      []TensorInfo
	Outputs     []TensorInfo
	Tensors     int
	Operators   int
	// OpCounts counts the operators of subgraph 0 by builtin code.
	OpCounts map[int32]int
	// Signature maps the SignatureDef's input and output names to tensor names.
	Signature map[string]string
	// ConstantBytes sums the constant buffers of subgraph 0 by tensor type.
	ConstantBytes map[int8]int64
}

// Verify walks a .tflite flatbuffer and checks every offset, vector and string it
// reaches lies inside data, that indices between tables are in range, and that constant
// buffers have the size their tensors' shapes imply. TFLite's own loader trusts much of
// this and may crash on a damaged file; a file that passes here is safe to hand over.
func Verify(data []byte) (*Info, error) {
	r := &reader{buf: data}
	info, err := r.model()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return info, nil
}

type reader struct{ buf []byte }

func (r *reader) need(pos, n uint64, what string) error {
	if pos+n > uint64(len(r.buf)) || pos+n < pos {
		return fmt.Errorf("%s at byte %d (%d bytes) runs past the end of the %d-byte file (truncated?)", what, pos, n, len(r.buf))
	}
	return nil
}

func (r *reader) u16(p uint64) uint64 { return uint64(binary.LittleEndian.Uint16(r.buf[p:])) }
func (r *reader) u32(p uint64) uint64 { return uint64(binary.LittleEndian.Uint32(r.buf[p:])) }

// table is a verified table: its position and vtable.
type table struct {
	r       *reader
	pos, vt uint64
	vtSize  uint64
	objSize uint64
	what    string
}

func (r *reader) table(pos uint64, what string) (*table, error) {
	if err := r.need(pos, 4, what); err != nil {
		return nil, err
	}
	if pos%4 != 0 {
		return nil, fmt.Errorf("%s at byte %d is misaligned", what, pos)
	}
	soff := int64(int32(r.u32(pos)))
	vt := int64(pos) - soff
	if vt < 0 || vt%2 != 0 {
		return nil, fmt.Errorf("%s at byte %d: vtable offset %d out of range", what, pos, vt)
	}
	if err := r.need(uint64(vt), 4, what+" vtable"); err != nil {
		return nil, err
	}
	t := &table{r: r, pos: pos, vt: uint64(vt), vtSize: r.u16(uint64(vt)), objSize: r.u16(uint64(vt) + 2), what: what}
	if t.vtSize < 4 || t.vtSize%2 != 0 || t.objSize < 4 {
		return nil, fmt.Errorf("%s at byte %d: bad vtable (size %d, object %d)", what, pos, t.vtSize, t.objSize)
	}
	if err := r.need(t.vt, t.vtSize, what+" vtable"); err != nil {
		return nil, err
	}
	if err := r.need(pos, t.objSize, what); err != nil {
		return nil, err
	}
	return t, nil
}

// field returns the absolute position of field slot, 0 when absent.
func (t *table) field(slot int, size uint64) (uint64, error) {
	e := 4 + 2*uint64(slot)
	if e+2 > t.vtSize {
		return 0, nil
	}
	off := t.r.u16(t.vt + e)
	if off == 0 {
		return 0, nil
	}
	if off+size > t.objSize {
		return 0, fmt.Errorf("%s: field %d lies outside its table", t.what, slot)
	}
	return t.pos + off, nil
}

func (t *table) scalar(slot int, size uint64, def uint64) (uint64, error) {
	p, err := t.field(slot, size)
	if err != nil || p == 0 {
		return def, err
	}
	switch size {
	case 1:
		return uint64(t.r.buf[p]), nil
	case 2:
		return t.r.u16(p), nil
	default:
		return t.r.u32(p), nil
	}
}

// ref follows an offset field to the object it points at (0 when absent).
func (t *table) ref(slot int) (uint64, error) {
	p, err := t.field(slot, 4)
	if err != nil || p == 0 {
		return 0, err
	}
	target := p + t.r.u32(p)
	if err := t.r.need(target, 4, fmt.Sprintf("%s field %d", t.what, slot)); err != nil {
		return 0, err
	}
	return target, nil
}

// vector returns the element count and data position of a vector field.
func (t *table) vector(slot int, elem uint64) (n, data uint64, err error) {
	p, err := t.ref(slot)
	if err != nil || p == 0 {
		return 0, 0, err
	}
	n = t.r.u32(p)
	if err := t.r.need(p+4, n*elem, fmt.Sprintf("%s field %d (%d elements)", t.what, slot, n)); err != nil {
		return 0, 0, err
	}
	return n, p + 4, nil
}

func (t *table) str(slot int) (string, error) {
	n, data, err := t.vector(slot, 1)
	if err != nil || data == 0 {
		return "", err
	}
	if err := t.r.need(data+n, 1, t.what+" string terminator"); err != nil {
		return "", err
	}
	if t.r.buf[data+n] != 0 {
		return "", fmt.Errorf("%s: string field %d is not terminated", t.what, slot)
	}
	return string(t.r.buf[data : data+n]), nil
}

func (t *table) int32s(slot int) ([]int32, error) {
	n, data, err := t.vector(slot, 4)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(t.r.u32(data + 4*uint64(i)))
	}
	return out, nil
}

// tables returns the verified tables of a vector-of-tables field.
func (t *table) tables(slot int, what string) ([]*table, error) {
	n, data, err := t.vector(slot, 4)
	if err != nil {
		return nil, err
	}
	out := make([]*table, n)
	for i := range out {
		p := data + 4*uint64(i)
		if out[i], err = t.r.table(p+t.r.u32(p), fmt.Sprintf("%s %d", what, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var elementSize = map[int8]int64{0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 8: 8, 9: 1, 10: 8, 11: 16, 12: 8, 15: 4, 16: 2}

func (r *reader) model() (*Info, error) {
	if len(r.buf) < 8 {
		return nil, fmt.Errorf("%d bytes is too short for a flatbuffer", len(r.buf))
	}
	if id := string(r.buf[4:8]); id != fileIdentifier {
		return nil, fmt.Errorf("file identifier %q, want %q", id, fileIdentifier)
	}
	m, err := r.table(r.u32(0), "model")
	if err != nil {
		return nil, err
	}
	info := &Info{OpCounts: map[int32]int{}, Signature: map[string]string{}, ConstantBytes: map[int8]int64{}}
	v, err := m.scalar(modelVersion, 4, 0)
	if err != nil {
		return nil, err
	}
	if info.Version = uint32(v); v != schemaVersion {
		return nil, fmt.Errorf("schema version %d, want %d", v, schemaVersion)
	}
	if info.Description, err = m.str(modelDescription); err != nil {
		return nil, err
	}
	codes, err := r.opcodes(m)
	if err != nil {
		return nil, err
	}
	bufTables, err := m.tables(modelBuffers, "buffer")
	if err != nil {
		return nil, err
	}
	bufSizes := make([]int64, len(bufTables))
	for i, bt := range bufTables {
		n, _, err := bt.vector(bufferData, 1)
		if err != nil {
			return nil, err
		}
		bufSizes[i] = int64(n)
	}
	if len(bufSizes) == 0 || bufSizes[0] != 0 {
		return nil, errors.New("buffer 0 must exist and be empty")
	}
	subgraphs, err := m.tables(modelSubgraphs, "subgraph")
	if err != nil {
		return nil, err
	}
	if len(subgraphs) == 0 {
		return nil, errors.New("the model has no subgraph")
	}
	var names [][]string
	for si, sg := range subgraphs {
		tensors, consts, err := r.tensors(sg, bufSizes)
		if err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", si, err)
		}
		if si == 0 {
			info.ConstantBytes = consts
		}
		nt := int32(len(tensors))
		ops, err := sg.tables(subgraphOperators, "operator")
		if err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", si, err)
		}
		for oi, op := range ops {
			idx, err := op.scalar(operatorOpcodeIndex, 4, 0)
			if err != nil {
				return nil, err
			}
			if idx >= uint64(len(codes)) {
				return nil, fmt.Errorf("subgraph %d operator %d: opcode index %d of %d", si, oi, idx, len(codes))
			}
			for slot, optional := range map[int]bool{operatorInputs: true, operatorOutputs: false} {
				ids, err := op.int32s(slot)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					if id >= nt || id < -1 || (id == -1 && !optional) {
						return nil, fmt.Errorf("subgraph %d operator %d: tensor index %d of %d", si, oi, id, nt)
					}
				}
			}
			if _, err := op.ref(operatorOptions); err != nil {
				return nil, err
			}
			if si == 0 {
				info.OpCounts[codes[idx]]++
			}
		}
		io := map[int]*[]TensorInfo{subgraphInputs: &info.Inputs, subgraphOutputs: &info.Outputs}
		for slot, dst := range io {
			ids, err := sg.int32s(slot)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if id < 0 || id >= nt {
					return nil, fmt.Errorf("subgraph %d: input/output tensor %d of %d", si, id, nt)
				}
				if si == 0 {
					*dst = append(*dst, tensors[id])
				}
			}
		}
		if si == 0 {
			info.Tensors, info.Operators = len(tensors), len(ops)
		}
		tn := make([]string, len(tensors))
		for i, t := range tensors {
			tn[i] = t.Name
		}
		names = append(names, tn)
	}
	if err := r.signatures(m, names, info); err != nil {
		return nil, err
	}
	return info, nil
}

func (r *reader) opcodes(m *table) ([]int32, error) {
	ts, err := m.tables(modelOperatorCodes, "operator code")
	if err != nil {
		return nil, err
	}
	codes := make([]int32, len(ts))
	for i, t := range ts {
		old, err := t.scalar(opcodeDeprecatedBuiltin, 1, 0)
		if err != nil {
			return nil, err
		}
		code, err := t.scalar(opcodeBuiltin, 4, 0)
		if err != nil {
			return nil, err
		}
		codes[i] = max(int32(code), int32(int8(old)))
		if codes[i] < 0 {
			return nil, fmt.Errorf("operator code %d: builtin code %d", i, codes[i])
		}
		if _, err := t.str(1); err != nil { // custom_code
			return nil, err
		}
	}
	return codes, nil
}

func (r *reader) tensors(sg *table, bufSizes []int64) ([]TensorInfo, map[int8]int64, error) {
	ts, err := sg.tables(subgraphTensors, "tensor")
	if err != nil {
		return nil, nil, err
	}
	out := make([]TensorInfo, len(ts))
	consts := map[int8]int64{}
	for i, t := range ts {
		shape, err := t.int32s(tensorShape)
		if err != nil {
			return nil, nil, err
		}
		name, err := t.str(tensorName)
		if err != nil {
			return nil, nil, err
		}
		typ, err := t.scalar(tensorType, 1, 0)
		if err != nil {
			return nil, nil, err
		}
		buf, err := t.scalar(tensorBuffer, 4, 0)
		if err != nil {
			return nil, nil, err
		}
		ti := TensorInfo{Name: name, Type: int8(typ), Shape: make([]int, len(shape))}
		count := int64(1)
		for j, d := range shape {
			if d < 0 {
				return nil, nil, fmt.Errorf("tensor %d (%s): dimension %d is %d", i, name, j, d)
			}
			ti.Shape[j] = int(d)
			if count = count * int64(d); count > math.MaxInt32 {
				return nil, nil, fmt.Errorf("tensor %d (%s): shape %v is too large", i, name, shape)
			}
		}
		if buf >= uint64(len(bufSizes)) {
			return nil, nil, fmt.Errorf("tensor %d (%s): buffer %d of %d", i, name, buf, len(bufSizes))
		}
		if size := bufSizes[buf]; size != 0 {
			es, ok := elementSize[ti.Type]
			if !ok {
				return nil, nil, fmt.Errorf("tensor %d (%s): constant of type %d", i, name, ti.Type)
			}
			if size != count*es {
				return nil, nil, fmt.Errorf("tensor %d (%s): buffer holds %d bytes, shape %v of type %d needs %d", i, name, size, shape, ti.Type, count*es)
			}
			consts[ti.Type] += size
		}
		if q, err := t.ref(tensorQuantization); err != nil {
			return nil, nil, err
		} else if q != 0 {
			if err := r.quantization(q, ti); err != nil {
				return nil, nil, fmt.Errorf("tensor %d (%s): %w", i, name, err)
			}
		}
		out[i] = ti
	}
	return out, consts, nil
}

func (r *reader) quantization(pos uint64, ti TensorInfo) error {
	q, err := r.table(pos, "quantization")
	if err != nil {
		return err
	}
	ns, _, err := q.vector(quantScale, 4)
	if err != nil {
		return err
	}
	nz, _, err := q.vector(quantZeroPoint, 8)
	if err != nil {
		return err
	}
	dim, err := q.scalar(quantDimension, 4, 0)
	if err != nil {
		return err
	}
	if ns > 1 {
		if int(dim) >= len(ti.Shape) || uint64(ti.Shape[dim]) != ns {
			return fmt.Errorf("%d scales along dimension %d of shape %v", ns, dim, ti.Shape)
		}
	}
	if nz != 0 && nz != ns {
		return fmt.Errorf("%d scales but %d zero points", ns, nz)
	}
	return nil
}

func (r *reader) signatures(m *table, names [][]string, info *Info) error {
	sigs, err := m.tables(modelSignatureDefs, "signature")
	if err != nil {
		return err
	}
	for i, s := range sigs {
		sub, err := s.scalar(sigSubgraph, 4, 0)
		if err != nil {
			return err
		}
		if sub >= uint64(len(names)) {
			return fmt.Errorf("signature %d: subgraph %d of %d", i, sub, len(names))
		}
		if _, err := s.str(sigKey); err != nil {
			return err
		}
		for _, slot := range []int{sigInputs, sigOutputs} {
			maps, err := s.tables(slot, "signature tensor")
			if err != nil {
				return err
			}
			for _, tm := range maps {
				name, err := tm.str(tensorMapName)
				if err != nil {
					return err
				}
				idx, err := tm.scalar(tensorMapIndex, 4, 0)
				if err != nil {
					return err
				}
				if idx >= uint64(len(names[sub])) {
					return fmt.Errorf("signature %d: %s names tensor %d of %d", i, name, idx, len(names[sub]))
				}
				if sub == 0 {
					info.Signature[name] = names[sub][idx]
				}
			}
		}
	}
	return nil
}
