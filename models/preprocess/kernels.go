package preprocess

import (
	"os"
	"slices"
	"strings"
)

// KernelsEnv is the variable that forces a kernel set, as for the runtime's
// kernels: portable, avx2, avx512 (or avx512-vnni), neon (or neon-dotprod).
const KernelsEnv = "EDGE_KERNELS"

// kernelSet is one choice of row kernels. Every set gives the same bytes
// as the portable one: the vector kernels do the same int32 arithmetic.
type kernelSet struct {
	name       string
	horizontal func(o, row []uint8, a *axis, ws *rowScratch)
	vertical   func(o, rows []uint8, k []int32)
	rgbx       func(dst, src []uint8, premultiplied bool)
	lanes, ppg int // horizontal coefficient layout (see axis.expand)
}

var portableKernels = kernelSet{name: "portable", horizontal: horizontalRowGo, vertical: verticalRowGo, rgbx: rgbxRowGo}

// kernelSets lists the sets this CPU can run, best last; archKernels
// (kernels_*.go) adds the vector ones.
func kernelSets() []kernelSet {
	return append([]kernelSet{portableKernels}, archKernels()...)
}

// Kernels names the kernel set in use.
func Kernels() string { return current }

var current string

// useKernels switches to the named set (a prefix match: "avx512-vnni" is
// "avx512"), reporting whether this CPU has it. Not safe while frames are
// being processed; resizers re-lay their coefficients on their next frame.
func useKernels(name string) bool {
	sets := kernelSets()
	i := slices.IndexFunc(sets, func(s kernelSet) bool {
		return name == s.name || strings.HasPrefix(name, s.name+"-")
	})
	if i < 0 {
		return false
	}
	s := sets[i]
	horizontalRow, verticalRow, rgbxRow = s.horizontal, s.vertical, s.rgbx
	hLayout.lanes, hLayout.ppg = s.lanes, s.ppg
	current = s.name
	return true
}

func init() {
	if name := os.Getenv(KernelsEnv); name != "" && useKernels(name) {
		return
	}
	sets := kernelSets()
	useKernels(sets[len(sets)-1].name)
}
