package cpu

import (
	"context"
	"sync"
	"time"

	"github.com/edgevlm/edge/runtime/kernels"
)

// Limits are what this machine's cores and memory can do at most, measured by tight
// loops, so that a model's timings can be read against them.
type Limits struct {
	Threads int `json:"threads"`
	// CopyGBs is a STREAM-like copy of 256 MiB: bytes read plus bytes written per second.
	CopyGBs float64 `json:"copy_gb_s"`
	// ReadGBs streams 256 MiB through a dot product: what decoding weights can get.
	ReadGBs float64 `json:"read_gb_s"`
	// PeakF32 is fp32 multiply-adds on registers only (2 operations each), GFLOP/s.
	PeakF32 float64 `json:"peak_fp32_gflop_s"`
	// PeakI8 is int8 dot products (VNNI) on registers only, GOP/s; 0 without them.
	PeakI8 float64 `json:"peak_int8_gop_s"`
}

const limitBytes = 256 << 20

// MeasureLimits runs the loops on threads goroutines (best of three each); about a
// second in all, and 512 MiB of memory while it runs.
func MeasureLimits(ctx context.Context, threads int) (Limits, error) {
	threads = max(threads, 1)
	l := Limits{Threads: threads}
	n := limitBytes / 4
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i & 1023)
	}
	copy(dst, src) // fault every page in before timing
	best := func(fn func(lo, hi int)) (time.Duration, error) { return bestOfThree(ctx, n, threads, fn) }
	d, err := best(func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
	if err != nil {
		return l, err
	}
	l.CopyGBs = 2 * limitBytes / d.Seconds() / 1e9
	if l.ReadGBs, err = readGBs(ctx, src, threads); err != nil {
		return l, err
	}
	src, dst = nil, nil

	const iters = 1 << 21 // about 10 ms of FMAs per thread
	peak := func(f func(int) int64) (float64, error) {
		var total int64
		var mu sync.Mutex
		d, err := best(func(_, _ int) {
			ops := f(iters)
			mu.Lock()
			total = ops
			mu.Unlock()
		})
		if err != nil {
			return 0, err
		}
		return float64(total) * float64(threads) / d.Seconds() / 1e9, nil
	}
	if l.PeakF32, err = peak(kernels.PeakF32); err != nil {
		return l, err
	}
	if l.PeakI8, err = peak(kernels.PeakI8); err != nil {
		return l, err
	}
	return l, nil
}

// ReadBytes is the size of the array ReadGBs should be given: beyond the last-level
// caches of the CPUs edge runs on, and half of MeasureLimits', since a model may be
// loaded beside it.
const ReadBytes = 128 << 20

// ReadGBs is Limits.ReadGBs on the caller's array (ReadBytes; its pages touched once
// before): the bandwidth decoding can get at this moment, so that a bound can be taken
// next to the decoding it judges on a machine whose bandwidth moves with other work.
// About 50 ms.
func ReadGBs(ctx context.Context, src []float32, threads int) (float64, error) {
	return readGBs(ctx, src, max(threads, 1))
}

// readGBs streams src through a dot product on threads goroutines, best of three.
func readGBs(ctx context.Context, src []float32, threads int) (float64, error) {
	n := len(src)
	sums := make([]float32, threads)
	d, err := bestOfThree(ctx, n, threads, func(lo, hi int) { sums[lo*threads/n] += kernels.Dot(src[lo:hi], src[lo:hi]) })
	if err != nil {
		return 0, err
	}
	return float64(4*n) / d.Seconds() / 1e9, nil
}

// bestOfThree splits [0, n) over threads goroutines running fn and returns the
// shortest of three such runs.
func bestOfThree(ctx context.Context, n, threads int, fn func(lo, hi int)) (time.Duration, error) {
	split := func() time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for t := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(n*t/threads, n*(t+1)/threads)
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	b := time.Duration(1 << 62)
	for range 3 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		b = min(b, split())
	}
	return b, nil
}
