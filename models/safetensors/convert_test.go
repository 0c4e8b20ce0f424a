package safetensors

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestF16ToF32(t *testing.T) {
	cases := []struct {
		name string
		h    uint16
		want float32
	}{
		{"zero", 0x0000, 0},
		{"one", 0x3c00, 1},
		{"minus two", 0xc000, -2},
		{"one third", 0x3555, 0.333251953125},
		{"max normal", 0x7bff, 65504},
		{"min normal", 0x0400, 0x1p-14},
		{"smallest subnormal", 0x0001, 0x1p-24},
		{"negative smallest subnormal", 0x8001, -0x1p-24},
		{"largest subnormal", 0x03ff, 1023 * 0x1p-24},
		{"mid subnormal", 0x0200, 0x1p-15},
		{"inf", 0x7c00, float32(math.Inf(1))},
		{"-inf", 0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, math.Float32bits(c.want), math.Float32bits(F16ToF32(c.h)))
		})
	}
	t.Run("negative zero", func(t *testing.T) {
		require.Equal(t, uint32(0x80000000), math.Float32bits(F16ToF32(0x8000)))
	})
	t.Run("nan keeps payload", func(t *testing.T) {
		for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff} {
			v := F16ToF32(h)
			require.True(t, math.IsNaN(float64(v)), "%#04x", h)
			require.Equal(t, uint32(h&0x3ff)<<13, math.Float32bits(v)&0x7fffff, "%#04x", h)
			require.Equal(t, uint32(h>>15), math.Float32bits(v)>>31, "%#04x", h)
		}
	})
}

// TestF16ToF32Exhaustive checks all 65536 values against the definition of
// binary16, computed in float64 from the fields.
func TestF16ToF32Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		exp, mant := int(h>>10&0x1f), float64(h&0x3ff)
		if exp == 0x1f {
			continue // inf/NaN covered above
		}
		var want float64
		if exp == 0 {
			want = math.Ldexp(mant, -24)
		} else {
			want = math.Ldexp(1+mant/1024, exp-15)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		got := F16ToF32(h)
		if math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("F16ToF32(%#04x) = %g, want %g", h, got, want)
		}
	}
}

func TestBF16ToF32(t *testing.T) {
	cases := []struct {
		name string
		b    uint16
		want float32
	}{
		{"zero", 0x0000, 0},
		{"one", 0x3f80, 1},
		{"minus two", 0xc000, -2},
		{"pi rounded", 0x4049, 3.140625},
		{"max", 0x7f7f, 0x1.fep127},
		{"smallest subnormal", 0x0001, 0x1p-133},
		{"largest subnormal", 0x007f, 127 * 0x1p-133},
		{"inf", 0x7f80, float32(math.Inf(1))},
		{"-inf", 0xff80, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, math.Float32bits(c.want), math.Float32bits(BF16ToF32(c.b)))
		})
	}
	require.True(t, math.IsNaN(float64(BF16ToF32(0x7fc0))))
}

func BenchmarkDecodeF16(b *testing.B) {
	src := make([]byte, 2<<20)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]float32, len(src)/2)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		decodeF16(dst, src)
	}
}

func BenchmarkDecodeBF16(b *testing.B) {
	src := make([]byte, 2<<20)
	dst := make([]float32, len(src)/2)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		decodeBF16(dst, src)
	}
}

func BenchmarkDecodeF32(b *testing.B) {
	src := make([]byte, 4<<20)
	dst := make([]float32, len(src)/4)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		decodeF32(dst, src)
	}
}
