package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuantizeRowsIsSymmetricPerRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows, cols := 7, 33
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) * float32(1+i/cols) // each row its own range
	}
	for i := 0; i < cols; i++ {
		w[3*cols+i] = 0 // an all-zero row
	}
	q, s := QuantizeRows(w, rows, cols)
	require.Len(t, s, rows)
	require.Zero(t, s[3])
	back := Dequantize(q, s, cols)
	for r := 0; r < rows; r++ {
		var amax float64
		for _, v := range w[r*cols : (r+1)*cols] {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		if r != 3 {
			require.InDelta(t, amax/127, s[r], 1e-7)
		}
		for i := r * cols; i < (r+1)*cols; i++ {
			require.LessOrEqual(t, math.Abs(float64(back[i]-w[i])), float64(s[r])/2+1e-6, "row %d col %d", r, i%cols)
			require.GreaterOrEqual(t, q[i], int8(-127))
		}
	}
}
