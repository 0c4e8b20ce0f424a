package cpu

import (
	"fmt"
	"math"

	"github.com/edgevlm/edge/runtime"
)

// LayerNorm normalises each row with float64 statistics (PyTorch reduces in float32 with
// a pairwise/Welford scheme; float64 keeps us within rounding of it).
func (b *Backend) LayerNorm(x *runtime.Tensor, weight, bias []float32, eps float32) *runtime.Tensor {
	out := runtime.NewTensor(x.Shape...)
	c := x.Cols()
	b.parallel(x.Rows(), 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, o := x.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c]
			var sum float64
			for _, v := range in {
				sum += float64(v)
			}
			mean := sum / float64(c)
			var ss float64
			for _, v := range in {
				d := float64(v) - mean
				ss += d * d
			}
			inv := float32(1 / math.Sqrt(ss/float64(c)+float64(eps)))
			m := float32(mean)
			for i, v := range in {
				y := (v - m) * inv
				if weight != nil {
					y *= weight[i]
				}
				if bias != nil {
					y += bias[i]
				}
				o[i] = y
			}
		}
	})
	return out
}

// RMSNorm is T5's layer norm: w·x/sqrt(mean(x²)+eps).
func (b *Backend) RMSNorm(x *runtime.Tensor, weight []float32, eps float32) *runtime.Tensor {
	out := runtime.NewTensor(x.Shape...)
	c := x.Cols()
	b.parallel(x.Rows(), 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, o := x.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c]
			var ss float64
			for _, v := range in {
				ss += float64(v) * float64(v)
			}
			inv := float32(1 / math.Sqrt(ss/float64(c)+float64(eps)))
			for i, v := range in {
				o[i] = weight[i] * (v * inv)
			}
		}
	})
	return out
}

// Activate applies act in place.
func (b *Backend) Activate(x *runtime.Tensor, act runtime.Activation) {
	var f func(float32) float32
	switch act {
	case runtime.ActIdentity:
		return
	case runtime.ActReLU:
		f = func(v float32) float32 { return max(v, 0) }
	case runtime.ActGELU:
		f = func(v float32) float32 {
			return float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
		}
	case runtime.ActGELUTanh:
		f = func(v float32) float32 {
			x := float64(v)
			return float32(0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
		}
	default:
		panic(fmt.Sprintf("cpu: unknown activation %d", act))
	}
	b.parallel(len(x.Data), 4096, func(lo, hi int) {
		d := x.Data[lo:hi]
		for i, v := range d {
			d[i] = f(v)
		}
	})
}

// AddInPlace does x += y.
func (b *Backend) AddInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	yd := y.Data[:len(x.Data)]
	for i := range x.Data {
		x.Data[i] += yd[i]
	}
}

// MulInPlace does x *= y.
func (b *Backend) MulInPlace(x, y *runtime.Tensor) {
	sameSize(x, y)
	yd := y.Data[:len(x.Data)]
	for i := range x.Data {
		x.Data[i] *= yd[i]
	}
}

func sameSize(x, y *runtime.Tensor) {
	if len(x.Data) != len(y.Data) {
		panic(fmt.Sprintf("cpu: element-wise op on shapes %v and %v", x.Shape, y.Shape))
	}
}
