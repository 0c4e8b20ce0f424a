// Command bench races edge's image path against ONNX Runtime on the same machine:
// the shapes model's vision → Q-Former → projection, as testdata/onnx/image_to_prefix.onnx
// for ONNX Runtime and as blip2.Model.EncodePixels for edge, on the same pixel values
// with the same number of threads. It lives in its own module so that the product does
// not depend on ONNX Runtime; run.sh installs the runtime library and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/safetensors"
	"github.com/edgevlm/edge/models/shapes"
	"github.com/edgevlm/edge/runtime/cpu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	lib, onnx, io, model string
	threads              []int
	runs, warmup, block  int
	gap                  time.Duration
	asJSON               bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.lib, "ort-lib", os.Getenv("ORT_LIB"), "path of libonnxruntime.so.1 (run.sh finds it in node_modules)")
	fs.StringVar(&o.onnx, "onnx", "../testdata/onnx/image_to_prefix.onnx", "the shapes model's image path as ONNX")
	fs.StringVar(&o.io, "io", "../testdata/onnx/io.safetensors", "pixel_values and the prefix they give")
	fs.StringVar(&o.model, "model", "", "BLIP-2 checkpoint folder for edge (default: the embedded shapes model)")
	threads := fs.String("threads", "1,2", "thread counts to race at, comma-separated")
	fs.IntVar(&o.runs, "runs", 60, "timed runs of each runtime per thread count")
	fs.IntVar(&o.warmup, "warmup", 5, "untimed runs of each first")
	fs.IntVar(&o.block, "block", 10, "runs in a row before switching runtimes (they alternate, so both see the same machine)")
	fs.DurationVar(&o.gap, "gap", 0, "idle time before every timed run, as between camera frames (0: back to back)")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, t := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			return o, fmt.Errorf("--threads %q: want positive counts like 1,2", *threads)
		}
		o.threads = append(o.threads, n)
	}
	if o.lib == "" {
		return o, errors.New("no ONNX Runtime library: give --ort-lib or ORT_LIB (run.sh does)")
	}
	if o.runs < 1 || o.block < 1 || o.warmup < 0 {
		return o, errors.New("--runs and --block must be at least 1, --warmup not negative")
	}
	return o, nil
}

// stats are the milliseconds of one runtime's runs.
type stats struct {
	Median float64 `json:"median_ms"`
	P10    float64 `json:"p10_ms"`
	P90    float64 `json:"p90_ms"`
	Min    float64 `json:"min_ms"`
}

func summarize(ms []float64) stats {
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
	return stats{Median: q(0.5), P10: q(0.1), P90: q(0.9), Min: s[0]}
}

type result struct {
	Threads int   `json:"threads"`
	Runs    int   `json:"runs"`
	ORT     stats `json:"onnxruntime_fp32"`
	Edge    stats `json:"edge_fp32"`
	EdgeI8  stats `json:"edge_int8"`
	// Ratio is edge's median over ONNX Runtime's (below 1: edge is faster).
	Ratio     float64 `json:"edge_over_ort"`
	RatioInt8 float64 `json:"edge_int8_over_ort"`
	// Max differences from the prefix in io.safetensors.
	ORTDiff  float64 `json:"ort_max_abs_diff"`
	EdgeDiff float64 `json:"edge_max_abs_diff"`
	// TFLite (XNNPack) on the same image path, exported by edge; nil when the bench was
	// built without the TFLite engine.
	TFLite      *stats  `json:"tflite_xnnpack_fp32,omitempty"`
	TFLiteDiff  float64 `json:"tflite_max_abs_diff,omitempty"`
	RatioTFLite float64 `json:"tflite_over_ort,omitempty"`
	TFLiteNote  string  `json:"tflite_note,omitempty"`
}

func run(ctx context.Context, args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	io, err := safetensors.Open(o.io)
	if err != nil {
		return fmt.Errorf("--io: %w", err)
	}
	defer io.Close()
	pixels, err := io.Float32("pixel_values")
	if err != nil {
		return err
	}
	want, err := io.Float32("prefix")
	if err != nil {
		return err
	}
	ort, err := openORT(o.lib)
	if err != nil {
		return err
	}
	defer ort.close()
	dir := o.model
	if dir == "" {
		if dir, err = shapes.Dir(); err != nil {
			return err
		}
	}
	var results []result
	for _, threads := range o.threads {
		r, err := race(ctx, o, ort, dir, threads, pixels, want)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if o.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"onnxruntime": ort.version, "gap_ms": o.gap.Seconds() * 1e3, "image_path": results})
	}
	fmt.Printf("image path of the shapes model (vision → Q-Former → projection), ONNX Runtime %s vs edge, same input, same threads", ort.version)
	if o.gap > 0 {
		fmt.Printf(", %v idle before each run", o.gap)
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threads\truntime\tmedian ms\tp10–p90 ms\tmin ms\t÷ ORT\tmax |Δ| vs io\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\tONNX Runtime fp32\t%.2f\t%.2f–%.2f\t%.2f\t\t%.1e\t\n", r.Threads, r.ORT.Median, r.ORT.P10, r.ORT.P90, r.ORT.Min, r.ORTDiff)
		fmt.Fprintf(tw, "%d\tedge fp32\t%.2f\t%.2f–%.2f\t%.2f\t%.2f\t%.1e\t\n", r.Threads, r.Edge.Median, r.Edge.P10, r.Edge.P90, r.Edge.Min, r.Ratio, r.EdgeDiff)
		fmt.Fprintf(tw, "%d\tedge int8 (W8A8)\t%.2f\t%.2f–%.2f\t%.2f\t%.2f\t\t\n", r.Threads, r.EdgeI8.Median, r.EdgeI8.P10, r.EdgeI8.P90, r.EdgeI8.Min, r.RatioInt8)
		if r.TFLite != nil {
			fmt.Fprintf(tw, "%d\tTFLite 2.9 XNNPack fp32\t%.2f\t%.2f–%.2f\t%.2f\t%.2f\t%.1e\t\n", r.Threads, r.TFLite.Median, r.TFLite.P10, r.TFLite.P90, r.TFLite.Min, r.RatioTFLite, r.TFLiteDiff)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(results) > 0 && results[0].TFLiteNote != "" {
		fmt.Printf("(TFLite left out: %s)\n", results[0].TFLiteNote)
	}
	return nil
}

// race times both runtimes at one thread count, alternating blocks of runs.
func race(ctx context.Context, o options, ort *ortRuntime, dir string, threads int, pixels, want []float32) (result, error) {
	r := result{Threads: threads, Runs: o.runs}
	sess, err := ort.session(o.onnx, threads, pixels, len(want))
	if err != nil {
		return r, err
	}
	defer sess.close()
	be := cpu.New(threads)
	defer be.Close()
	m, err := blip2.Load(dir, blip2.Options{Backend: be})
	if err != nil {
		return r, err
	}
	defer m.Close()
	mi8, err := blip2.Load(dir, blip2.Options{Backend: be, Int8: true})
	if err != nil {
		return r, err
	}
	defer mi8.Close()

	// Both must compute the same thing before their times mean anything.
	if err := sess.run(); err != nil {
		return r, err
	}
	r.ORTDiff = maxDiff(sess.output(), want)
	f, err := m.EncodePixels(pixels)
	if err != nil {
		return r, err
	}
	r.EdgeDiff = maxDiff(m.Backend.Host(f.Prefix, nil), want)
	if r.ORTDiff > 1e-4 || r.EdgeDiff > 1e-4 {
		return r, fmt.Errorf("outputs differ from %s: ONNX Runtime by %.2g, edge by %.2g (limit 1e-4)", o.io, r.ORTDiff, r.EdgeDiff)
	}

	timers := []func() error{
		sess.run,
		func() error { _, err := m.EncodePixels(pixels); return err },
		func() error { _, err := mi8.EncodePixels(pixels); return err },
	}
	tfl, note, err := openTFLite(ctx, dir, threads, pixels)
	if err != nil {
		return r, err
	}
	r.TFLiteNote = note
	if tfl != nil {
		defer tfl.close()
		if err := tfl.run(); err != nil {
			return r, err
		}
		r.TFLiteDiff = maxDiff(tfl.out, want)
		if r.TFLiteDiff > 1e-4 {
			return r, fmt.Errorf("TFLite output differs from %s by %.2g (limit 1e-4)", o.io, r.TFLiteDiff)
		}
		timers = append(timers, tfl.run)
	}
	samples := make([][]float64, len(timers))
	for i, t := range timers {
		for range o.warmup {
			if err := t(); err != nil {
				return r, err
			}
		}
		_ = i
	}
	for done := 0; done < o.runs; done += o.block {
		for i, t := range timers {
			// ONNX Runtime's pool threads spin for a while after a run: let them stop
			// before the next runtime's block, so that neither pays for the other.
			time.Sleep(20 * time.Millisecond)
			for range min(o.block, o.runs-done) {
				if err := ctx.Err(); err != nil {
					return r, err
				}
				if o.gap > 0 {
					time.Sleep(o.gap)
				}
				t0 := time.Now()
				if err := t(); err != nil {
					return r, err
				}
				samples[i] = append(samples[i], float64(time.Since(t0).Nanoseconds())/1e6)
			}
		}
	}
	r.ORT, r.Edge, r.EdgeI8 = summarize(samples[0]), summarize(samples[1]), summarize(samples[2])
	if tfl != nil {
		s := summarize(samples[3])
		r.TFLite, r.RatioTFLite = &s, s.Median/r.ORT.Median
	}
	r.Ratio = r.Edge.Median / r.ORT.Median
	r.RatioInt8 = r.EdgeI8.Median / r.ORT.Median
	return r, nil
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}
