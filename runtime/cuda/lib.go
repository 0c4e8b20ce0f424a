package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LibName is the file name of the CUDA library.
const LibName = "libedgecuda.so"

// abiVersion must equal EDGE_ABI_VERSION in csrc/edgecuda.h.
const abiVersion = 1

// attnArgs mirrors edge_attn_args (edgecuda.h): five pointers, then 32-bit fields; no padding.
type attnArgs struct {
	q, k, v, out, bias          uintptr
	tq, tk, heads, headDim      int32
	scale                       float32
	causal, queryOffset, allowT int32
	ldQ, ldKV                   int32 // row strides in floats; 0: heads·headDim
}

// lib holds the library's entry points, one Go func per C function in edgecuda.h.
type lib struct {
	path string

	abiVersion  func() int32
	deviceCount func(count *int32, msg *byte, msgLen int32) int32
	deviceInfo  func(dev int32, name *byte, nameLen int32, totalMem *uint64, major, minor *int32, msg *byte, msgLen int32) int32
	ctxCreate   func(dev int32, out *uintptr, msg *byte, msgLen int32) int32
	ctxDestroy  func(ctx uintptr)
	lastError   func(ctx uintptr, buf *byte, n int32) int32
	sync        func(ctx uintptr) int32
	memInfo     func(ctx uintptr, free, total *uint64) int32

	malloc  func(ctx uintptr, bytes uint64, out *uintptr) int32
	free    func(ctx uintptr, p uintptr) int32
	h2d     func(ctx uintptr, dst uintptr, src unsafe.Pointer, bytes uint64) int32
	d2h     func(ctx uintptr, dst unsafe.Pointer, src uintptr, bytes uint64) int32
	d2d     func(ctx uintptr, dst, src uintptr, bytes uint64) int32
	memset  func(ctx uintptr, dst uintptr, value int32, bytes uint64) int32
	f32to16 func(ctx uintptr, src, dst uintptr, n uint64) int32
	f16to32 func(ctx uintptr, src, dst uintptr, n uint64) int32

	linearF32  func(ctx uintptr, m, n, k int32, x, w, bias, y uintptr, tf32 int32) int32
	linearF16  func(ctx uintptr, m, n, k int32, x, w, bias, y uintptr) int32
	linearW8A8 func(ctx uintptr, m, n, k int32, x, w, scales, bias, y uintptr) int32
	linearW8   func(ctx uintptr, m, n, k int32, x, w, scales, bias, y uintptr) int32
	quantize   func(ctx uintptr, rows, cols int32, x, q, scales uintptr) int32
	int8Stats  func(ctx uintptr, ltCalls, fallbacks *int64, reason *byte, n int32) int32

	layerNorm func(ctx uintptr, rows, cols int32, x, y, weight, bias uintptr, eps float32) int32
	rmsNorm   func(ctx uintptr, rows, cols int32, x, y, weight uintptr, eps float32) int32
	activate  func(ctx uintptr, x uintptr, n uint64, act int32) int32
	add       func(ctx uintptr, x, y uintptr, n uint64) int32
	gatedMul  func(ctx uintptr, x, y uintptr, n uint64, act int32) int32

	softmax     func(ctx uintptr, x uintptr, heads, tq, tk int32, bias uintptr, causal, offset int32) int32
	attnPrefill func(ctx uintptr, args *attnArgs) int32
	attnDecode  func(ctx uintptr, args *attnArgs) int32
	kvAppend    func(ctx uintptr, ck, cv uintptr, capacity, width, pos int32, k, v uintptr, n int32) int32
	embedding   func(ctx uintptr, ids unsafe.Pointer, n int32, table uintptr, dtype int32, scales uintptr, vocab, dim int32, out uintptr) int32
	argmax      func(ctx uintptr, x uintptr, rows, cols int32, out unsafe.Pointer) int32
}

// symbols pairs each C name with the field it fills.
func (l *lib) symbols() map[string]any {
	return map[string]any{
		"edge_abi_version": &l.abiVersion, "edge_device_count": &l.deviceCount, "edge_device_info": &l.deviceInfo,
		"edge_ctx_create": &l.ctxCreate, "edge_ctx_destroy": &l.ctxDestroy, "edge_last_error": &l.lastError,
		"edge_sync": &l.sync, "edge_mem_info": &l.memInfo,
		"edge_malloc": &l.malloc, "edge_free": &l.free, "edge_memcpy_h2d": &l.h2d, "edge_memcpy_d2h": &l.d2h,
		"edge_memcpy_d2d": &l.d2d, "edge_memset": &l.memset, "edge_f32_to_f16": &l.f32to16, "edge_f16_to_f32": &l.f16to32,
		"edge_linear_f32": &l.linearF32, "edge_linear_f16": &l.linearF16, "edge_linear_w8a8": &l.linearW8A8,
		"edge_linear_w8": &l.linearW8, "edge_quantize_rows": &l.quantize, "edge_int8_stats": &l.int8Stats,
		"edge_layer_norm": &l.layerNorm, "edge_rms_norm": &l.rmsNorm, "edge_activate": &l.activate,
		"edge_add": &l.add, "edge_gated_mul": &l.gatedMul,
		"edge_softmax": &l.softmax, "edge_attention_prefill": &l.attnPrefill, "edge_attention_decode": &l.attnDecode,
		"edge_kv_append": &l.kvAppend, "edge_embedding": &l.embedding, "edge_argmax": &l.argmax,
	}
}

// LibCandidates lists where Open looks for the library when given no path, in order:
// $EDGE_CUDA_LIB, beside the executable, bin/ under the working directory, then the
// dynamic loader's own search (LD_LIBRARY_PATH, ldconfig).
func LibCandidates() []string {
	var c []string
	if p := os.Getenv("EDGE_CUDA_LIB"); p != "" {
		c = append(c, p)
	}
	if exe, err := os.Executable(); err == nil {
		c = append(c, filepath.Join(filepath.Dir(exe), LibName))
	}
	return append(c, filepath.Join("bin", LibName), LibName)
}

// findLib picks the first candidate that exists; a bare name is left to the loader.
func findLib(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%w: %s not found: build it with make cuda (%v)", ErrNoLibrary, path, err)
		}
		return path, nil
	}
	cands := LibCandidates()
	for _, c := range cands[:len(cands)-1] {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return LibName, nil // the loader searches LD_LIBRARY_PATH and the cache
}

// loadLib opens the library and binds every entry point, or says why it cannot.
func loadLib(path string) (*lib, error) {
	p, err := findLib(path)
	if err != nil {
		return nil, err
	}
	if strings.Contains(p, "/") {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
	}
	h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		if p == LibName {
			return nil, fmt.Errorf("%w: %s not found (looked in %s and the loader's path): build it with make cuda or set EDGE_CUDA_LIB",
				ErrNoLibrary, LibName, strings.Join(LibCandidates()[:len(LibCandidates())-1], ", "))
		}
		return nil, fmt.Errorf("%w: load %s: %v (the CUDA runtime, libcublas and libcublasLt must be on the loader's path)", ErrNoLibrary, p, err)
	}
	l := &lib{path: p}
	var missing []string
	for name, fn := range l.symbols() {
		sym, err := purego.Dlsym(h, name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		purego.RegisterFunc(fn, sym)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s lacks %s: it was built from other sources; rebuild it with make cuda",
			ErrNoLibrary, p, strings.Join(missing, ", "))
	}
	if v := l.abiVersion(); v != abiVersion {
		return nil, fmt.Errorf("%w: %s has ABI version %d, this build needs %d: rebuild it with make cuda", ErrNoLibrary, p, v, abiVersion)
	}
	return l, nil
}

// cString turns a NUL-terminated buffer into a string.
func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// devices asks the library how many GPUs it sees.
func (l *lib) devices() (int, error) {
	var n int32
	msg := make([]byte, 512)
	if st := l.deviceCount(&n, &msg[0], int32(len(msg))); st != statusOK {
		if st == statusNoDevice {
			return 0, fmt.Errorf("%w (%s)", ErrNoDevice, cString(msg))
		}
		return 0, &Error{Op: "edge_device_count", Status: st, Msg: cString(msg)}
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: the CUDA driver sees none", ErrNoDevice)
	}
	return int(n), nil
}
