package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// testLib is the library the tests load: $EDGE_CUDA_LIB, or bin/libedgecuda.so at the
// repository root (where make cuda and scripts/gpu-check.sh put it).
func testLib() string {
	if p := os.Getenv("EDGE_CUDA_LIB"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "bin", LibName)
}

// openOrSkip starts a backend, or skips saying why when the library or a GPU is missing.
// With EDGE_CUDA_REQUIRE=1 (set on the GPU machine) a missing GPU fails instead, so a
// broken setup cannot pass as a row of skips.
func openOrSkip(t testing.TB, p Precision) *Backend {
	t.Helper()
	b, err := New(Config{LibPath: testLib(), Precision: p})
	if err != nil && (errors.Is(err, ErrNoLibrary) || errors.Is(err, ErrNoDevice)) && os.Getenv("EDGE_CUDA_REQUIRE") != "1" {
		t.Skipf("CUDA backend unavailable: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

func randn(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = math.Max(m, d)
	}
	return m
}

func maxAbs(a []float32) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}
