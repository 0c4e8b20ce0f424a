package cuda

import (
	"fmt"
	"sync"

	"github.com/edgevlm/edge/runtime"
)

// Precision says how linear layers compute. Norms, softmax, activations and the
// residual stream are float32 in every mode; int8 weights always take the int8 paths.
type Precision int

const (
	// FP32 keeps float weights in fp32 and multiplies in full fp32: the CPU's results to
	// rounding.
	FP32 Precision = iota
	// TF32 keeps fp32 weights and lets cuBLAS use TF32 tensor cores (10-bit mantissa
	// inputs, fp32 accumulation), as the demo goldens were computed.
	TF32
	// FP16 stores float weights in fp16 on the device (half the memory), rounds the
	// activations to fp16 for each product and accumulates in fp32.
	FP16
)

func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case TF32:
		return "tf32"
	case FP16:
		return "fp16"
	default:
		return fmt.Sprintf("precision(%d)", int(p))
	}
}

// ParsePrecision reads "fp32", "tf32" or "fp16".
func ParsePrecision(s string) (Precision, error) {
	for _, p := range []Precision{FP32, TF32, FP16} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("cuda: unknown precision %q: use fp32, tf32 or fp16", s)
}

// Config says which library, device and precision to use.
type Config struct {
	LibPath   string // "" searches LibCandidates()
	Device    int    // CUDA device index
	Precision Precision
}

// DeviceInfo describes the GPU a Backend runs on.
type DeviceInfo struct {
	Index        int
	Name         string
	TotalMemory  uint64 // bytes
	ComputeMajor int
	ComputeMinor int
}

// Backend runs runtime.Backend's operations on one GPU.
type Backend struct {
	mu     sync.Mutex
	lib    *lib
	ctx    uintptr
	cfg    Config
	info   DeviceInfo
	closed bool

	weights  map[*runtime.Weight]*deviceWeight
	params   map[paramKey]*deviceParam
	resident int64 // bytes of weights and parameters on the device
	slots    [numSlots]deviceBuffer

	free      map[uint64][]spareBuf // given-back tensors by buffer size
	freeBytes uint64
	consts    map[constKey][]float32 // Scale's constant vectors
	ids       []int32                // Embed's token ids, reused
	argmaxOut int32                  // Argmax's result, written by the library
}

// Open loads libPath ("" searches LibCandidates()) and starts a backend on device 0 in
// fp32. The error wraps ErrNoLibrary or ErrNoDevice and says what to do.
func Open(libPath string) (*Backend, error) {
	return New(Config{LibPath: libPath})
}

// New starts a backend as cfg says.
func New(cfg Config) (*Backend, error) {
	if cfg.Precision < FP32 || cfg.Precision > FP16 {
		return nil, fmt.Errorf("cuda: unknown precision %d", int(cfg.Precision))
	}
	l, err := loadLib(cfg.LibPath)
	if err != nil {
		return nil, err
	}
	n, err := l.devices()
	if err != nil {
		return nil, err
	}
	if cfg.Device < 0 || cfg.Device >= n {
		return nil, fmt.Errorf("cuda: device %d does not exist (%d present)", cfg.Device, n)
	}
	info, err := l.queryDevice(cfg.Device)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 1024)
	var ctx uintptr
	if st := l.ctxCreate(int32(cfg.Device), &ctx, &msg[0], int32(len(msg))); st != statusOK {
		if st == statusNoDevice {
			return nil, fmt.Errorf("%w (%s)", ErrNoDevice, cString(msg))
		}
		return nil, &Error{Op: "edge_ctx_create", Status: st, Msg: cString(msg)}
	}
	return &Backend{lib: l, ctx: ctx, cfg: cfg, info: info,
		weights: map[*runtime.Weight]*deviceWeight{}, params: map[paramKey]*deviceParam{},
		free: map[uint64][]spareBuf{}, consts: map[constKey][]float32{}}, nil
}

func (l *lib) queryDevice(dev int) (DeviceInfo, error) {
	name := make([]byte, 256)
	msg := make([]byte, 512)
	var total uint64
	var major, minor int32
	if st := l.deviceInfo(int32(dev), &name[0], int32(len(name)), &total, &major, &minor, &msg[0], int32(len(msg))); st != statusOK {
		return DeviceInfo{}, &Error{Op: "edge_device_info", Status: st, Msg: cString(msg)}
	}
	return DeviceInfo{Index: dev, Name: cString(name), TotalMemory: total, ComputeMajor: int(major), ComputeMinor: int(minor)}, nil
}

// Name says which backend this is.
func (b *Backend) Name() string { return "cuda" }

// Describe names the device, its compute capability and the precision, for logs.
func (b *Backend) Describe() string {
	return fmt.Sprintf("cuda:%d %s (sm_%d%d, %.1f GiB) %s", b.info.Index, b.info.Name, b.info.ComputeMajor,
		b.info.ComputeMinor, float64(b.info.TotalMemory)/(1<<30), b.cfg.Precision)
}

// Device describes the GPU.
func (b *Backend) Device() DeviceInfo { return b.info }

// Precision is the mode linear layers run in.
func (b *Backend) Precision() Precision { return b.cfg.Precision }

// LibPath is the library that was loaded.
func (b *Backend) LibPath() string { return b.lib.path }

// ResidentBytes is the device memory held by uploaded weights and parameters.
func (b *Backend) ResidentBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.resident
}

// MemInfo returns the device's free and total memory in bytes.
func (b *Backend) MemInfo() (free, total uint64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return 0, 0, err
	}
	err = b.call("edge_mem_info", b.lib.memInfo(b.ctx, &free, &total))
	return free, total, err
}

// Int8Stats says how the W8A8 products ran so far: through cuBLASLt, or through the
// plain kernel it falls back to (with the last fallback's reason).
func (b *Backend) Int8Stats() (ltCalls, fallbacks int64, reason string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return 0, 0, "", err
	}
	buf := make([]byte, 256)
	err = b.call("edge_int8_stats", b.lib.int8Stats(b.ctx, &ltCalls, &fallbacks, &buf[0], int32(len(buf))))
	return ltCalls, fallbacks, cString(buf), err
}

// Close frees every device buffer and the context. The backend is unusable afterwards;
// the library stays loaded (unloading the CUDA runtime mid-process is not safe).
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, w := range b.weights {
		keep(b.freeWeight(w))
	}
	for _, p := range b.params {
		keep(b.call("edge_free", b.lib.free(b.ctx, p.ptr)))
	}
	for i := range b.slots {
		keep(b.call("edge_free", b.lib.free(b.ctx, b.slots[i].ptr)))
	}
	for _, list := range b.free {
		for _, s := range list {
			keep(b.call("edge_free", b.lib.free(b.ctx, s.buf.ptr)))
		}
	}
	b.weights, b.params, b.free = nil, nil, nil
	b.lib.ctxDestroy(b.ctx)
	b.ctx = 0
	return first
}

func (b *Backend) usable() error {
	if b.closed {
		return fmt.Errorf("cuda: backend is closed")
	}
	return nil
}

// call turns a library status into an error carrying the library's message.
func (b *Backend) call(op string, st int32) error {
	if st == statusOK {
		return nil
	}
	buf := make([]byte, 1024)
	b.lib.lastError(b.ctx, &buf[0], int32(len(buf)))
	return &Error{Op: op, Status: st, Msg: cString(buf)}
}

// must panics on a library failure inside a runtime.Backend method, which cannot return
// an error (see the package doc).
func (b *Backend) must(op string, st int32) {
	if err := b.call(op, st); err != nil {
		panic(err)
	}
}

var _ runtime.Backend = (*Backend)(nil)
var _ runtime.FusedLinear = (*Backend)(nil)
var _ runtime.Recycler = (*Backend)(nil)
