package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refGemvQ8 is GemvI8Q8's definition in float64: exact int block sums times the block
// scales, the tail in float.
func refGemvQ8(n, k int, w []int8, ldw int, scales []float32, v *Q8) (want, mag []float64) {
	want, mag = make([]float64, n), make([]float64, n)
	k0 := len(v.Q)
	for i := range n {
		if k == 0 {
			continue
		}
		row := w[i*ldw : i*ldw+k]
		var s, g float64
		for b := range len(v.S) {
			var d int64
			for j := b * Q8Block; j < (b+1)*Q8Block; j++ {
				d += int64(row[j]) * int64(v.Q[j])
				g += math.Abs(float64(row[j]) * float64(v.Q[j]) * float64(v.S[b]))
			}
			s += float64(d) * float64(v.S[b])
		}
		for j := k0; j < k; j++ {
			s += float64(row[j]) * float64(v.X[j])
			g += math.Abs(float64(row[j]) * float64(v.X[j]))
		}
		want[i] = s * float64(scales[i])
		mag[i] = g * math.Abs(float64(scales[i]))
	}
	return want, mag
}

func TestGemvI8Q8(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range append(testK, 0, 128, 255, 256, 384, 641, 2560) {
		for _, n := range append(testMN, 64) {
			ldw := k + rng.IntN(3)
			w := randI8(rng, max(span(n, k, ldw), 0))
			if len(w) > 0 {
				w[0], w[len(w)-1] = -128, -128 // the one weight whose |w| needs 8 bits
			}
			scales := make([]float32, n)
			for i := range scales {
				scales[i] = rng.Float32() / 64
			}
			x := randF32(rng, 1, k, k)
			if k > 10 {
				x[k/2] = 40 // an outlier: its block gets a coarse scale, the others not
			}
			var v Q8
			v.Quantize(x)
			want, mag := refGemvQ8(n, k, w, ldw, scales, &v)
			for _, im := range available() {
				y := make([]float32, n+1)
				y[n] = 42
				im.gemvI8Q8(n, k, w, ldw, scales, &v, y)
				before := make([]float32, n+1)
				before[n] = 42
				requireCloseF32(t, fmt.Sprintf("%s GemvI8Q8 n=%d k=%d", im.name, n, k), y, n+1, want, mag, 1, n, k, before)
			}
		}
	}
}

// The quantized product stays close to the float one: each block's error is at most
// half a step of its own scale per element.
func TestGemvI8Q8NearFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	n, k := 64, 2560
	w := randI8(rng, n*k)
	scales := make([]float32, n)
	for i := range scales {
		scales[i] = 1
	}
	x := randF32(rng, 1, k, k)
	x[7] = 30
	var v Q8
	v.Quantize(x)
	got := make([]float32, n)
	GemvI8Q8(n, k, w, k, scales, &v, got)
	for i := range n {
		var exact, bound float64
		for j := range k {
			exact += float64(w[i*k+j]) * float64(x[j])
			bound += math.Abs(float64(w[i*k+j])) * float64(v.S[j/Q8Block]) / 2
		}
		require.InDelta(t, exact, float64(got[i]), bound+1e-3, "row %d", i)
		require.Less(t, math.Abs(exact-float64(got[i])), bound/4+1e-3, "row %d: error near its worst case, not random rounding", i)
	}
}

func TestQ8Quantize(t *testing.T) {
	x := make([]float32, 300)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	x[200] = -254
	var v Q8
	v.Quantize(x)
	nb := 300 / Q8Block
	require.Len(t, v.Q, nb*Q8Block)
	require.Len(t, v.S, nb)
	ob := 200 / Q8Block // the outlier's block
	for b := range nb {
		if b == ob {
			require.InDelta(t, 2.0, v.S[b], 1e-6)
		} else {
			require.InDelta(t, 3.0/127, v.S[b], 1e-7, "block %d", b)
		}
	}
	require.Equal(t, int8(-127), v.Q[200])
	j := 203 // -3 at scale 2: -1.5 rounds half away to -2
	require.Equal(t, ob, j/Q8Block)
	require.Equal(t, int8(-2), v.Q[j])
	var off float64
	for b := range nb {
		var s int
		for _, q := range v.Q[b*Q8Block : (b+1)*Q8Block] {
			s += int(q)
		}
		off += float64(v.S[b]) * 128 * float64(s)
	}
	require.InDelta(t, off, float64(v.offset), 1e-3)
}
