// Package safetensors reads and writes Hugging Face safetensors checkpoints:
// single files and sharded ones (model.safetensors.index.json), memory-mapped
// read-only, with exact F16/BF16 → F32 conversion.
//
// Its room in docs/architecture.md: formats: imports nothing of the project.
package safetensors

// DType is a safetensors element type as spelled in the header.
type DType string

// The element types this package understands.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I8   DType = "I8"
	I32  DType = "I32"
	I64  DType = "I64"
	U8   DType = "U8"
	F64  DType = "F64"
)

// Size is the element size in bytes, 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case I8, U8:
		return 1
	case F16, BF16:
		return 2
	case F32, I32:
		return 4
	case I64, F64:
		return 8
	}
	return 0
}

// Info describes one tensor of an archive.
type Info struct {
	Name  string
	DType DType
	Shape []int
	File  string // base name of the file (shard) that holds the tensor
}

// NumElements is the product of the shape (1 for a scalar).
func (i Info) NumElements() int {
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}
