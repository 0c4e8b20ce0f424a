package blip2

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/quant"
)

// randomStd is the standard deviation of the random weights: the checkpoints'
// initializer_range, which keeps activations in a realistic range through the layers.
const randomStd = 0.02

const sqrt3 = 1.7320508075688772

// RandomStore is a weights.Store of deterministic random tensors in the shapes cfg
// implies: a real checkpoint's size without its files, for benchmarks. Each tensor
// depends only on its name. Norm weights are 1; everything else is uniform with
// standard deviation 0.02. With int8 set, every matrix that int8 models keep in int8
// comes as int8 with one scale per row, made directly so that no float copy is ever
// held.
type RandomStore struct {
	tensors map[string]randomTensor
	workers int
}

type randomTensor struct {
	shape []int
	dtype string // "F32" or "I8"
	rows  int    // a weight_scale: the scales of this many rows
	scale bool
}

// NewRandomStore lists the tensors of cfg; int8 and lmW8A8 say which are int8, as
// Options.Int8 and Options.LMW8A8 would make them.
func NewRandomStore(cfg *hfconfig.Config, int8, lmW8A8 bool) *RandomStore {
	s := &RandomStore{tensors: map[string]randomTensor{}, workers: goruntime.GOMAXPROCS(0)}
	for _, spec := range ExpectedTensors(cfg) {
		t := randomTensor{shape: spec.Shape, dtype: "F32"}
		if int8 && roleOf(spec.Name, spec.Shape, lmW8A8) != quant.Keep {
			t.dtype = "I8"
			s.tensors[strings.TrimSuffix(spec.Name, ".weight")+".weight_scale"] = randomTensor{shape: spec.Shape[:1], dtype: "F32", rows: spec.Shape[0], scale: true}
		}
		s.tensors[spec.Name] = t
	}
	return s
}

// NewRandomStoreInt4 is NewRandomStore for Options.Int4: int8 where Int8 would make it,
// except the language model's linear layers, stored in float for Int4 to quantize
// on load.
func NewRandomStoreInt4(cfg *hfconfig.Config) *RandomStore {
	s := NewRandomStore(cfg, true, false)
	for name, t := range s.tensors {
		if t.dtype == "I8" && isInt4(name, t.shape) {
			s.tensors[name] = randomTensor{shape: t.shape, dtype: "F32"}
			delete(s.tensors, strings.TrimSuffix(name, ".weight")+".weight_scale")
		}
	}
	return s
}

// Lookup returns the shape and dtype of name.
func (s *RandomStore) Lookup(name string) ([]int, string, bool) {
	t, ok := s.tensors[name]
	return t.shape, t.dtype, ok
}

func (s *RandomStore) numel(name string) (randomTensor, int, error) {
	t, ok := s.tensors[name]
	if !ok {
		return t, 0, fmt.Errorf("random store: no tensor %s", name)
	}
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return t, n, nil
}

// isNorm reports a normalisation weight (LayerNorm, RMSNorm), which starts at 1.
func isNorm(name string, shape []int) bool {
	if len(shape) != 1 || !strings.HasSuffix(name, ".weight") {
		return false
	}
	l := strings.ToLower(name)
	return strings.Contains(l, "norm")
}

// Float32 returns the tensor's values.
func (s *RandomStore) Float32(name string) ([]float32, error) {
	t, n, err := s.numel(name)
	if err != nil {
		return nil, err
	}
	if t.dtype != "F32" {
		return nil, fmt.Errorf("random store: tensor %s is %s", name, t.dtype)
	}
	out := make([]float32, n)
	switch {
	case t.scale:
		// int8 values are uniform in [−127, 127]: this scale gives them std 0.02.
		for i := range out {
			out[i] = randomStd * sqrt3 / 127
		}
	case isNorm(name, t.shape):
		for i := range out {
			out[i] = 1
		}
	default:
		a := float32(randomStd * sqrt3) // uniform on [−a, a] has std a/√3
		s.fill(name, n, func(rng *rand.Rand, lo, hi int) {
			for i := lo; i < hi; i += 2 {
				u := rng.Uint64()
				out[i] = a * (float32(uint32(u))/(1<<31) - 1)
				if i+1 < hi {
					out[i+1] = a * (float32(uint32(u>>32))/(1<<31) - 1)
				}
			}
		})
	}
	return out, nil
}

// Int8 returns the int8 values of a quantized matrix: uniform in [−127, 127].
func (s *RandomStore) Int8(name string) ([]int8, error) {
	t, n, err := s.numel(name)
	if err != nil {
		return nil, err
	}
	if t.dtype != "I8" {
		return nil, fmt.Errorf("random store: tensor %s is %s", name, t.dtype)
	}
	out := make([]int8, n)
	s.fill(name, n, func(rng *rand.Rand, lo, hi int) {
		for i := lo; i < hi; i += 8 {
			u := rng.Uint64()
			for j := i; j < min(i+8, hi); j++ {
				// 255 equally likely values −127..127 (the top byte value folds onto 0).
				out[j] = int8(int(uint8(u)%255) - 127)
				u >>= 8
			}
		}
	})
	return out, nil
}

// chunk is how many elements one generator makes: tensors are filled in parallel,
// chunk by chunk, each from its own seed (name and chunk index), so the values do
// not depend on the number of workers.
const chunk = 1 << 20

func (s *RandomStore) fill(name string, n int, gen func(rng *rand.Rand, lo, hi int)) {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	chunks := (n + chunk - 1) / chunk
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range min(s.workers, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				rng := rand.New(rand.NewPCG(seed, uint64(c)))
				gen(rng, c*chunk, min((c+1)*chunk, n))
			}
		}()
	}
	wg.Wait()
}
