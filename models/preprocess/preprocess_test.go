package preprocess

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// CHW layout and the value formula, checked against float64 arithmetic.
func TestApplyLayoutAndValues(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Height, cfg.Width = 3, 5
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	img.SetNRGBA(4, 1, color.NRGBA{10, 128, 255, 255})
	got, err := Apply(img, cfg)
	require.NoError(t, err)
	require.Len(t, got, 3*3*5)
	i := 1*5 + 4
	for c, v := range []float64{10, 128, 255} {
		want := (v/255 - float64(cfg.Mean[c])) / float64(cfg.Std[c])
		require.InDelta(t, want, got[c*15+i], 1e-6, "channel %d", c)
		zero := (0 - float64(cfg.Mean[c])) / float64(cfg.Std[c])
		require.InDelta(t, zero, got[c*15], 1e-6, "channel %d", c)
	}
}

func TestApplyFlags(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	img.Pix[3] = 200
	cfg := DefaultConfig()
	cfg.Height, cfg.Width = 2, 2
	cfg.DoRescale, cfg.DoNormalize = false, false
	got, err := Apply(img, cfg)
	require.NoError(t, err)
	require.Equal(t, []float32{0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0, 200}, got)

	cfg.DoRescale = true
	got, err = Apply(img, cfg)
	require.NoError(t, err)
	require.Equal(t, float32(float64(200)/255), got[3])

	cfg.DoRescale, cfg.DoNormalize = false, true // normalise raw 0..255 values, as HF does
	got, err = Apply(img, cfg)
	require.NoError(t, err)
	require.Equal(t, (200-cfg.Mean[0])/cfg.Std[0], got[3])
}

func TestApplyErrors(t *testing.T) {
	cfg := DefaultConfig()
	noResize := cfg
	noResize.DoResize = false
	badCfg := cfg
	badCfg.Resample = 1
	short := image.NewRGBA(image.Rect(0, 0, 4, 4))
	short.Pix = short.Pix[:5]
	tests := []struct {
		name string
		img  image.Image
		cfg  Config
		msg  string
	}{
		{"nil image", nil, cfg, "nil"},
		{"zero size", image.NewRGBA(image.Rect(0, 0, 0, 0)), cfg, "zero-size"},
		{"zero height", image.NewGray(image.Rect(0, 0, 10, 0)), cfg, "zero-size"},
		{"malformed buffer", short, cfg, "malformed"},
		{"size mismatch without resize", image.NewRGBA(image.Rect(0, 0, 10, 10)), noResize, "do_resize"},
		{"unsupported filter", image.NewRGBA(image.Rect(0, 0, 10, 10)), badCfg, "resample"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply(tc.img, tc.cfg)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	require.Error(t, ApplyRGB(newRGB(4, 4), cfg, make([]float32, 10)), "short dst")
	require.Error(t, ApplyRGB(&RGB{W: 4, H: 4}, cfg, make([]float32, 3*224*224)), "empty pixels")
	require.Error(t, ApplyRGB(nil, cfg, make([]float32, 3*224*224)))
}

// Apply (image.Image), ApplyRGB and a reused Processor agree, frame after frame.
func TestProcessorReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p, err := NewProcessor(DefaultConfig())
	require.NoError(t, err)
	dst := make([]float32, p.Len())
	for _, sz := range [][2]int{{640, 480}, {300, 200}, {640, 480}, {224, 224}} {
		src := randomRGB(r, sz[0], sz[1])
		want := make([]float32, p.Len())
		require.NoError(t, ApplyRGB(src, DefaultConfig(), want))
		require.NoError(t, p.ApplyRGB(src, dst))
		require.Equal(t, want, dst)

		rgba := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		for i := 0; i < sz[0]*sz[1]; i++ {
			copy(rgba.Pix[4*i:], src.Pix[3*i:3*i+3])
			rgba.Pix[4*i+3] = 255
		}
		got, err := p.Apply(rgba, dst)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestProcessorApplyRGBDoesNotAllocate(t *testing.T) {
	p, err := NewProcessor(DefaultConfig())
	require.NoError(t, err)
	src := randomRGB(rand.New(rand.NewPCG(7, 8)), 640, 480)
	dst := make([]float32, p.Len())
	require.NoError(t, p.ApplyRGB(src, dst)) // warm the caches
	var runErr error
	allocs := testing.AllocsPerRun(5, func() { runErr = p.ApplyRGB(src, dst) })
	require.NoError(t, runErr)
	require.Zero(t, allocs)
}

func TestNormalizeMatchesFloat64(t *testing.T) {
	cfg := DefaultConfig()
	p, err := NewProcessor(cfg)
	require.NoError(t, err)
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			want := (float64(v)/255 - float64(cfg.Mean[c])) / float64(cfg.Std[c])
			require.InDelta(t, want, p.lut[c][v], 1e-6*math.Max(1, math.Abs(want)))
		}
	}
}
