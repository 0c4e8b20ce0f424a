package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/stretchr/testify/require"
)

// TestWidenH16 widens every 16-bit pattern, fp16 and bfloat16, with every kernel set
// (the vector primitives and the Go tails) and compares bit for bit with the
// checkpoint reader's converters; a NaN need only stay a NaN (F16C quiets signalling
// ones).
func TestWidenH16(t *testing.T) {
	src := make([]uint16, 1<<16+7) // a tail past the vector width
	for i := range src {
		src[i] = uint16(i)
	}
	for _, bf := range []bool{false, true} {
		for _, im := range available() {
			dst := make([]float32, len(src)+1)
			dst[len(src)] = 42
			im.widenH16(src, bf, dst)
			for i, h := range src {
				want := safetensors.F16ToF32(h)
				if bf {
					want = safetensors.BF16ToF32(h)
				}
				if math.IsNaN(float64(want)) && math.IsNaN(float64(dst[i])) {
					continue
				}
				if math.Float32bits(dst[i]) != math.Float32bits(want) {
					t.Fatalf("%s bf16=%v: %#04x widened to %#08x, want %#08x", im.name, bf, h, math.Float32bits(dst[i]), math.Float32bits(want))
				}
			}
			require.Equal(t, float32(42), dst[len(src)], "%s wrote past the end", im.name)
		}
	}
}

func randH16(rng *rand.Rand, n int, bf bool) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		v := 2*rng.Float32() - 1
		if bf {
			s[i] = safetensors.F32ToBF16(v)
		} else {
			s[i] = safetensors.F32ToF16(v)
		}
	}
	return s
}

// TestGemvH16F32 checks the 16-bit GEMV of every kernel set against a float64
// reference on the widened weights, on shapes with tails in n and k and rows with gaps.
func TestGemvH16F32(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 16))
	for _, bf := range []bool{false, true} {
		for _, k := range append(testK, 0, 2560, 2576) {
			for _, n := range append(testMN, 64) {
				ldw := k + rng.IntN(3)
				w := randH16(rng, max(span(n, k, ldw), 0), bf)
				x := randF32(rng, 1, k, k)
				want, mag := make([]float64, n), make([]float64, n)
				for i := range n {
					for j := range k {
						v := float64(h16ToF32(w[i*ldw+j], bf)) * float64(x[j])
						want[i] += v
						mag[i] += math.Abs(v)
					}
				}
				for _, im := range available() {
					y := make([]float32, n+1)
					y[n] = 42
					im.gemvH16F32(n, k, w, ldw, bf, x, y)
					before := make([]float32, n+1)
					before[n] = 42
					requireCloseF32(t, fmt.Sprintf("%s GemvH16F32 bf16=%v n=%d k=%d", im.name, bf, n, k), y, n+1, want, mag, 1, n, k, before)
				}
			}
		}
	}
}

func TestGemvH16Checks(t *testing.T) {
	y := make([]float32, 2)
	GemvH16F32(2, 2, []uint16{0x3c00, 0, 0, 0x4000}, 2, false, []float32{3, 5}, y) // [[1,0],[0,2]]
	require.Equal(t, []float32{3, 10}, y)
	require.Panics(t, func() { GemvH16F32(2, 2, []uint16{1, 2, 3}, 2, false, []float32{1, 1}, y) })
	require.Panics(t, func() { WidenH16([]uint16{1, 2}, true, y[:1]) })
}

// BenchmarkGemvH16F32 is the decode product with 16-bit weights, beside
// BenchmarkGemvI8F32's shapes: from cache (hot) and from memory (dram).
func BenchmarkGemvH16F32(b *testing.B) {
	for _, s := range []gemmCase{{1, 2560, 2560}, {1, 10240, 2560}} {
		for _, im := range available() {
			for _, bf := range []bool{false, true} {
				for _, dram := range []bool{false, true} {
					b.Run(fmt.Sprintf("%s/bf16=%v/n=%d,k=%d/%s", im.name, bf, s.n, s.k, map[bool]string{false: "hot", true: "dram"}[dram]), func(b *testing.B) {
						n, k := s.n, s.k
						nb := copies(dram, 2*n*k)
						w, x, y := randH16(rand.New(rand.NewPCG(1, 2)), nb*n*k, bf), make([]float32, k), make([]float32, n)
						fillF32(x)
						i := 0
						cpu0 := cpuNow()
						for b.Loop() {
							im.gemvH16F32(n, k, w[i*n*k:], k, bf, x, y)
							i = (i + 1) % nb
						}
						report(b, cpu0, 2*float64(n*k), 2*float64(n*k), "GFLOP/s", "GB/s")
					})
				}
			}
		}
	}
}
