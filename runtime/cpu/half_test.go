package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/internal/tensorcore"
)

// TestLinearHalf checks fp16 and bfloat16 weights on both paths (one or two rows read
// the 16-bit rows; more widen blocks) and with accumulation, against the fp32 product
// of the same weights widened; and the embedding lookup.
func TestLinearHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	for _, threads := range []int{1, 3} {
		be := New(threads)
		for _, sh := range []struct{ rows, out, in int }{{1, 37, 65}, {2, 128, 64}, {1, 300, 2560}, {5, 17, 3}, {40, 33, 129}, {197, 64, 48}} {
			for _, bf := range []bool{false, true} {
				x := randn(rng, sh.rows*sh.in)
				w32 := randn(rng, sh.out*sh.in)
				half := make([]uint16, len(w32))
				for i, v := range w32 {
					if bf {
						half[i] = safetensors.F32ToBF16(v)
					} else {
						half[i] = safetensors.F32ToF16(v)
					}
					if bf {
						w32[i] = safetensors.BF16ToF32(half[i])
					} else {
						w32[i] = safetensors.F16ToF32(half[i])
					}
				}
				bias := randn(rng, sh.out)
				want := make([]float32, sh.rows*sh.out)
				gemmNTRef(sh.rows, sh.out, sh.in, x, w32, want)
				for i := range want {
					want[i] += bias[i%sh.out]
				}
				w := &runtime.Weight{Out: sh.out, In: sh.in, Half: half, BF16: bf}
				require.Equal(t, 2*len(half), w.Bytes())
				xt := tensorcore.NewHost(x, sh.rows, sh.in)
				got := be.Linear(xt, runtime.Linear{W: w, Bias: bias})
				tol := 1e-4 * math.Sqrt(float64(sh.in))
				require.Less(t, maxDiff(data(got), want), tol, "bf16=%v %+v", bf, sh)

				dst := tensorcore.NewHost(append([]float32(nil), want...), sh.rows, sh.out)
				be.LinearAdd(xt, runtime.Linear{W: w, Bias: bias}, dst)
				for i := range want {
					want[i] *= 2
				}
				require.Less(t, maxDiff(data(dst), want), 2*tol, "add bf16=%v %+v", bf, sh)

				row := make([]float32, sh.in)
				r := rng.IntN(sh.out)
				w.RowTo(r, row)
				require.Equal(t, w32[r*sh.in:(r+1)*sh.in], row)
			}
		}
	}
}
