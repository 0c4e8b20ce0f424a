package kernels

import (
	"fmt"
	"strings"
)

// isa names an instruction set that has its own primitives. The exported functions
// do the shape checks, tails and blocking in Go and call the primitives of the
// chosen isa through small switch functions (one per primitive, in the per-arch
// files). A switch, not a func value, so that escape analysis keeps the small
// arrays of pointers and tiles the drivers pass on the stack: no allocation per call.
type isa uint8

const (
	isaPortable isa = iota
	isaAVX2
	isaAVX512
	isaAVX512VNNI
	isaNEON
	isaNEONDot
	isaAVX2VNNI // AVX2 with AVX-VNNI: the AVX2 kernels and a 256-bit VNNI int8 micro-kernel
)

// impl is one complete set of kernels: an isa and the shapes its primitives work in.
// The values are built once at start-up and never written.
type impl struct {
	name string
	isa  isa

	vecLen int // Dot, Axpy, Scale primitives take a multiple of vecLen elements

	f32 f32Shape
	i8  i8Shape

	quantLen int // quantization primitives take a multiple of quantLen elements
}

// f32Shape describes the two inner loops of the fp32 products.
//
// The dot tile computes dotRows×4 dot products along k (k a multiple of dotLen):
// out[i*4+j] = A row i · B row j. It streams B rows once: the memory-bound small-m
// products (decode) use it.
//
// The micro-kernel is a register-blocked outer product: C[mr×nr] (= or +=)
// A[mr×kc]·P, where P is a packed panel of B (kc rows of nr consecutive B rows'
// values, that is B transposed). The compute-bound large-m products use it.
type f32Shape struct {
	dotRows, dotLen int
	mr, nr, kc      int
	// Products with m < smallM use the dot tile, and so do those with m < smallMLongK
	// when k ≥ 512: below these, packing B costs more than the micro-kernel saves
	// (measured on AVX2 and AVX-512; NEON's are estimates).
	smallM, smallMLongK int
}

func (s *f32Shape) useDot(m, k int) bool {
	return m < s.smallM || (k >= 512 && m < s.smallMLongK)
}

// i8Shape describes the inner loops of the int8 products: a dot tile like the fp32 one
// (dotRows×4, k a multiple of dotLen), or, when micro is set, the VNNI outer-product
// kernel on packed panels of quads (see gemm_i8.go), or, when madd is set, the
// VPMADDWD kernel on int16 panels (gemm_i8_madd.go); either of those for m ≥ smallM.
type i8Shape struct {
	micro           bool
	madd            bool
	smallM          int
	dotRows, dotLen int
	mr, nr, kcq     int
}

// Impl names the set of kernels this process uses, for example "amd64-avx512-vnni",
// "arm64-neon-dotprod" or "portable".
func Impl() string { return active.name }

// KernelsEnv names the environment variable that forces a kernel set instead of the best
// the CPU runs: portable, avx2, avx2-vnni, avx512, avx512-vnni (amd64), neon, neon-dotprod (arm64),
// or a full name as Impl gives it. It lets one machine measure the kernels another kind
// of CPU would run.
const KernelsEnv = "EDGE_KERNELS"

// ImplNote says why Impl is not the best set, when KernelsEnv chose another or asked for
// one this CPU cannot run; "" otherwise.
func ImplNote() string { return activeNote }

// choose picks the set named want among all (portable first, best last); "" picks the best.
func choose(all []*impl, want string) (*impl, string) {
	best := all[len(all)-1]
	if want == "" {
		return best, ""
	}
	for _, im := range all {
		if im.name == want || strings.HasSuffix(im.name, "-"+want) {
			if im == best {
				return im, ""
			}
			return im, fmt.Sprintf("%s=%s: %s kernels forced (the CPU runs %s)", KernelsEnv, want, im.name, best.name)
		}
	}
	names := make([]string, len(all))
	for i, im := range all {
		names[i] = im.name
	}
	return best, fmt.Sprintf("%s=%s is not a kernel set this CPU runs (it runs %s); using %s", KernelsEnv, want, strings.Join(names, ", "), best.name)
}

// portable is the pure-Go implementation, available everywhere.
var portable = &impl{
	name:     "portable",
	isa:      isaPortable,
	vecLen:   1,
	f32:      f32Shape{dotRows: 4, dotLen: 1, mr: 4, nr: 4, kc: 256, smallM: 4, smallMLongK: 4},
	i8:       i8Shape{dotRows: 4, dotLen: 1},
	quantLen: 1,
}
