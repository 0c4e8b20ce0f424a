package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
	"github.com/edgevlm/edge/runtime/kernels"
)

// fullShapes are the public checkpoints edge bench can build with random weights.
var fullShapes = []string{"blip2-opt-2.7b", "blip2-flan-t5-xl"}

func benchCommand() command {
	c := command{name: "bench", summary: "Time each stage of a model: preprocessing, image path, first token, decoding."}
	c.usage = `Usage: edge bench [flags]

Captions a rendered scene --runs times after --warmup runs and prints the median and the
10th–90th percentile spread of each stage, in fp32 and int8 (and, with --weights, int4,
or fp16 and bf16: the float matrices kept 16-bit and widened inside the kernels). --shapes adds the public
checkpoints' full-size shapes with random weights made in memory (configs from
--configs); where fp32 does not fit in memory, the image path runs in full and the
language model with a few layers, extrapolated linearly to all of them (said in the
table). The machine's limits (memory bandwidth, peak fp32 and int8 throughput) are
measured first, and decoding is compared with the time its weight bytes take to read
(for a model over 128 MiB at the bandwidth measured right after each of its timed runs,
since other work on the machine moves it).

Examples:
  edge bench
  edge bench --threads 1 --runs 20 --json
  edge bench --shapes shapes,blip2-opt-2.7b,blip2-flan-t5-xl --runs 3 --threads 2
  edge bench --batch 4 --threads 2       # also the image path on 4 frames at once, per frame
  edge bench --shapes blip2-opt-2.7b --weights int8 --runs 5
  edge bench --shapes blip2-opt-2.7b --weights int4 --threads 2 --runs 3
  edge bench --shapes blip2-opt-2.7b --weights fp32,fp16 --runs 3 --threads 2
  edge bench --model ~/models/blip2-opt-2.7b --runs 3`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		mf.register(fs)
		runs := fs.Int("runs", 10, "timed runs")
		warmup := fs.Int("warmup", 2, "untimed runs first (at most 1 for the full-size shapes)")
		tokens := fs.Int("tokens", 12, "tokens to decode per run (EOS is ignored so every run decodes as many)")
		batch := fs.Int("batch", 1, "also time the image path on this many frames at once (reported per frame)")
		weightSets := fs.String("weights", "fp32,int8", "weights to time, comma-separated: fp32, int8, int4, fp16, bf16 (fp16/bf16: the float matrices narrowed on load, as --dtype does)")
		asJSON := fs.Bool("json", false, "print JSON")
		cpuProfile := fs.String("cpuprofile", "", "write a pprof CPU profile of the timed work to this file")
		shapes := fs.String("shapes", "shapes", "models to time, comma-separated: shapes (the --model checkpoint, default the embedded one), "+strings.Join(fullShapes, ", "))
		configs := fs.String("configs", "testdata/real-configs", "folder with <name>/config.json of the full-size shapes")
		limits := fs.Bool("limits", true, "measure memory bandwidth and peak throughput first")
		memFraction := fs.Float64("mem-fraction", 0.5, "build a model in fp32 only when its weights take at most this fraction of the available memory")
		lmLayers := fs.String("lm-layers", "2,4", "language-model layer counts timed when fp32 does not fit, to extrapolate from")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if *runs < 1 || *warmup < 0 || *tokens < 1 || *batch < 1 {
			return usagef("--runs, --tokens and --batch must be at least 1, --warmup not negative")
		}
		var sets []precision
		for _, w := range strings.Split(*weightSets, ",") {
			switch p := precision(w); p {
			case fp32, int8, int4, fp16, bf16:
				sets = append(sets, p)
			default:
				return usagef("unknown --weights entry %q: use fp32, int8, int4, fp16, bf16", w)
			}
		}
		if _, err := weights.ParseDType(mf.dtype); err != nil {
			return usagef("--%s", err)
		}
		layersA, layersB, err := parseLayerPair(*lmLayers)
		if err != nil {
			return err
		}
		names := strings.Split(*shapes, ",")
		for _, n := range names {
			if n != "shapes" && !contains(fullShapes, n) {
				return usagef("unknown --shapes entry %q: use shapes, %s", n, strings.Join(fullShapes, ", "))
			}
		}
		be, err := mf.backend(e)
		if err != nil {
			return err
		}
		threads := goruntime.NumCPU()
		if cb, ok := be.(*cpu.Backend); ok {
			threads = cb.Threads()
			defer cb.Close()
		}
		rep := benchReport{Kernels: kernels.Impl(), KernelsNote: kernels.ImplNote()}
		if *limits {
			l, err := cpu.MeasureLimits(ctx, threads)
			if err != nil {
				return err
			}
			rep.Limits = &l
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		img := scene.Render(scene.Layout{Background: "gray", Shapes: []scene.Shape{{Kind: "circle", Color: "red", CX: 112, CY: 112, R: 40}}}, 448, 1)
		b := &bencher{ctx: ctx, e: e, be: be, threads: threads, img: img, runs: *runs, warmup: *warmup, tokens: *tokens, batch: *batch, weights: sets}
		if _, onCPU := be.(*cpu.Backend); *limits && onCPU {
			b.readBuf = make([]float32, cpu.ReadBytes/4)
			for i := range b.readBuf {
				b.readBuf[i] = 1 // every page in before the first timing
			}
		}
		for _, name := range names {
			var rows []benchRow
			var err error
			if name == "shapes" {
				rows, err = b.checkpoint(&mf)
			} else {
				b.runs, b.warmup = *runs, min(*warmup, 1)
				rows, err = b.fullSize(filepath.Join(*configs, name), name, *memFraction, layersA, layersB)
				b.runs, b.warmup = *runs, *warmup
			}
			if err != nil {
				return err
			}
			rep.Rows = append(rep.Rows, rows...)
		}
		rep.decodeBounds()
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		return rep.print(e)
	}
	return c
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseLayerPair(s string) (int, int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return 0, 0, usagef("--lm-layers takes two layer counts, like 2,4")
	}
	a, errA := strconv.Atoi(parts[0])
	b, errB := strconv.Atoi(parts[1])
	if errA != nil || errB != nil || a < 1 || b <= a {
		return 0, 0, usagef("--lm-layers takes two increasing layer counts, like 2,4")
	}
	return a, b, nil
}

type benchStage struct {
	Name   string  `json:"name"`
	Median float64 `json:"median_ms"`
	P10    float64 `json:"p10_ms"`
	P90    float64 `json:"p90_ms"`
}

type benchRow struct {
	Model   string       `json:"model"`
	Weights string       `json:"weights"`
	Threads int          `json:"threads"`
	Runs    int          `json:"runs"`
	Stages  []benchStage `json:"stages"`
	// Note says how the row was obtained when not by timing the whole model.
	Note string `json:"note,omitempty"`
	// DecodeBytes is the weight storage one decoded token reads.
	DecodeBytes int64 `json:"decode_weight_bytes"`
	// ReadGBs is the streaming read measured right after each timed run (median): the
	// decoding bound at the moment the row was timed.
	ReadGBs float64 `json:"read_gb_s_beside,omitempty"`
	// firstCaption is the first caption's time, warm-up included.
	firstCaption time.Duration
}

// onceStage is a stage measured once.
func onceStage(name string, d time.Duration) benchStage {
	ms := float64(d.Nanoseconds()) / 1e6
	return benchStage{Name: name, Median: ms, P10: ms, P90: ms}
}

// decodeBound compares a row's decoding with the time its weight bytes take to read.
type decodeBound struct {
	Model       string  `json:"model"`
	Weights     string  `json:"weights"`
	Bytes       int64   `json:"weight_bytes_per_token"`
	ReadGBs     float64 `json:"read_gb_s"`
	BoundMS     float64 `json:"bandwidth_bound_ms"`
	MeasuredMS  float64 `json:"measured_ms"`
	TimesTheMin float64 `json:"ratio"`
}

type benchReport struct {
	// Kernels is the CPU kernel set (kernels.Impl), with why when EDGE_KERNELS chose it.
	Kernels     string        `json:"kernels"`
	KernelsNote string        `json:"kernels_note,omitempty"`
	Limits      *cpu.Limits   `json:"limits,omitempty"`
	Rows        []benchRow    `json:"rows"`
	Decode      []decodeBound `json:"decode_vs_bandwidth,omitempty"`
}

func (r *benchReport) decodeBounds() {
	if r.Limits == nil || r.Limits.ReadGBs <= 0 {
		return
	}
	for _, row := range r.Rows {
		per := row.stage("per decoded token")
		if per == nil || row.DecodeBytes == 0 {
			continue
		}
		read := r.Limits.ReadGBs
		if row.ReadGBs > 0 {
			read = row.ReadGBs // measured beside this row's runs
		}
		bound := float64(row.DecodeBytes) / (read * 1e9) * 1e3
		r.Decode = append(r.Decode, decodeBound{Model: row.Model, Weights: row.Weights, Bytes: row.DecodeBytes,
			ReadGBs: read, BoundMS: bound, MeasuredMS: per.Median, TimesTheMin: per.Median / bound})
	}
}

func (r benchRow) stage(name string) *benchStage {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return &r.Stages[i]
		}
	}
	return nil
}

func (r *benchReport) print(e env) error {
	w := bufio.NewWriter(e.stdout)
	fmt.Fprintf(w, "kernels: %s", r.Kernels)
	if r.KernelsNote != "" {
		fmt.Fprintf(w, " (%s)", r.KernelsNote)
	}
	fmt.Fprintln(w)
	if l := r.Limits; l != nil {
		fmt.Fprintf(w, "machine (%d threads): memory copy %.1f GB/s, streaming read %.1f GB/s, peak fp32 %.0f GFLOP/s, peak int8 %.0f GOP/s\n\n",
			l.Threads, l.CopyGBs, l.ReadGBs, l.PeakF32, l.PeakI8)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tweights\tstage\tmedian ms\tp10–p90 ms\t")
	var notes []string
	for _, row := range r.Rows {
		mark := ""
		if row.Note != "" {
			notes = append(notes, row.Note)
			mark = strings.Repeat("*", len(notes))
		}
		for _, st := range row.Stages {
			fmt.Fprintf(tw, "%s\t%s%s\t%s\t%.2f\t%.2f–%.2f\t\n", row.Model, row.Weights, mark, st.Name, st.Median, st.P10, st.P90)
		}
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Fprintf(w, "%s %s\n", strings.Repeat("*", i+1), n)
	}
	if len(r.Decode) > 0 {
		fmt.Fprintln(w, "\ndecoding against memory bandwidth (weight bytes per token ÷ streaming read; for a model over 128 MiB the read is measured after each of its timed runs, else at the start):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "model\tweights\tMB per token\tread GB/s\tbound ms\tmeasured ms\tratio\t")
		for _, d := range r.Decode {
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f×\t\n", d.Model, d.Weights, float64(d.Bytes)/1e6, d.ReadGBs, d.BoundMS, d.MeasuredMS, d.TimesTheMin)
		}
		tw.Flush()
	}
	return w.Flush()
}

// bencher times models on one backend.
type bencher struct {
	ctx                  context.Context
	e                    env
	be                   runtime.Backend
	threads              int
	img                  image.Image
	runs, warmup, tokens int
	batch                int // > 1: also the image path on this many frames at once
	// readBuf, when set, is streamed after each timed run (cpu.ReadGBs), so that every
	// row's decoding bound comes from the bandwidth of its own moment.
	readBuf []float32
	weights []precision // in order
}

// checkpoint times the --model checkpoint (default: the embedded shapes model).
func (b *bencher) checkpoint(mf *modelFlags) ([]benchRow, error) {
	var rows []benchRow
	for _, p := range b.weights {
		f := *mf
		if p.half() || p == fp32 {
			f.dtype = string(p) // the row's weights are what it says, whatever the checkpoint stores
		}
		start := time.Now()
		m, err := f.loadWith(b.e, p == int8, p == int4)
		if err != nil {
			return nil, err
		}
		load := time.Since(start)
		ids, err := m.InputIDs("")
		if err != nil {
			m.Close()
			return nil, err
		}
		row, err := b.time(m, ids)
		m.Close()
		if err != nil {
			return nil, err
		}
		row.Weights = string(p)
		row.DecodeBytes = p.decodeBytes(m.Config)
		// What a service restart costs before its first caption: the load, then the
		// first caption, which also pays for first touches (weights packed on first use,
		// the mapped file's pages, buffers). Measured once: the page cache is as the
		// machine left it.
		row.Stages = append(row.Stages, onceStage("load", load), onceStage("cold start: load + first caption", load+row.firstCaption))
		rows = append(rows, row)
	}
	return rows, nil
}

// precision is how a benchmarked model holds its weights: fp32, int8 (as --int8 makes
// them), int4 (as --int4), or fp16 and bf16 (as --dtype makes them).
type precision string

const (
	fp32 precision = "fp32"
	int8 precision = "int8"
	int4 precision = "int4"
	fp16 precision = "fp16"
	bf16 precision = "bf16"
)

func (p precision) half() bool { return p == fp16 || p == bf16 }

func (p precision) weightBytes(cfg *hfconfig.Config) int64 {
	switch {
	case p == int4:
		return blip2.Int4WeightBytes(cfg, blip2.DefaultInt4Group)
	case p.half():
		return blip2.HalfWeightBytes(cfg)
	}
	return blip2.WeightBytes(cfg, p == int8, false)
}

func (p precision) decodeBytes(cfg *hfconfig.Config) int64 {
	switch {
	case p == int4:
		return blip2.Int4DecodeBytes(cfg, blip2.DefaultInt4Group)
	case p.half():
		return blip2.HalfDecodeBytes(cfg)
	}
	return blip2.DecodeBytes(cfg, p == int8, false)
}

// fullSize times a public checkpoint's shapes with random weights: int8 in full, and
// fp32 in full when it fits in memory, else with two reduced language models.
func (b *bencher) fullSize(dir, name string, memFraction float64, layersA, layersB int) ([]benchRow, error) {
	cfg, err := loadConfig(dir)
	if err != nil {
		return nil, err
	}
	ids := benchIDs(cfg)
	var rows []benchRow
	for _, p := range b.weights {
		need := p.weightBytes(cfg)
		avail := availableMemory()
		fits := avail == 0 || float64(need) <= memFraction*float64(avail)
		var row benchRow
		if fits {
			row, err = b.random(cfg, p, ids)
		} else {
			row, err = b.extrapolated(cfg, p, ids, layersA, layersB, need, avail, memFraction)
		}
		if err != nil {
			return nil, err
		}
		row.Model, row.Weights = name, string(p)
		row.DecodeBytes = p.decodeBytes(cfg)
		rows = append(rows, row)
	}
	return rows, nil
}

func loadConfig(dir string) (*hfconfig.Config, error) {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		return nil, fmt.Errorf("--configs: %s/config.json not found (run from the repository root, or point --configs at testdata/real-configs)", dir)
	}
	return hfconfig.Load(dir)
}

// benchIDs is an empty caption prompt in token ids: the image tokens (current
// layout), then BOS for OPT or EOS for T5 (what each tokenizer makes of "").
func benchIDs(cfg *hfconfig.Config) []int {
	var ids []int
	if cfg.ImageTokenIndex >= 0 {
		for range cfg.NumQueryTokens {
			ids = append(ids, cfg.ImageTokenIndex)
		}
	}
	if cfg.IsEncoderDecoder() {
		eos := 1
		if len(cfg.Text.EosTokenIDs) > 0 {
			eos = cfg.Text.EosTokenIDs[0]
		}
		return append(ids, eos)
	}
	return append(ids, cfg.Text.BosTokenID)
}

// random builds cfg from random weights, times it and frees it.
func (b *bencher) random(cfg *hfconfig.Config, p precision, ids []int) (benchRow, error) {
	defer freeMemory()
	store := blip2.NewRandomStore(cfg, p == int8, false)
	if p == int4 {
		store = blip2.NewRandomStoreInt4(cfg)
	}
	opts := blip2.Options{Backend: b.be, Int8: p == int8, Int4: p == int4}
	if p.half() {
		opts.DType = weights.DType(p)
	}
	m, err := blip2.FromStore(cfg, store, nil, opts)
	if err != nil {
		return benchRow{}, err
	}
	return b.time(m, ids)
}

// withLayers is cfg with n language-model layers (both stacks of T5).
func withLayers(cfg *hfconfig.Config, n int) *hfconfig.Config {
	c := *cfg
	if c.IsEncoderDecoder() {
		c.Text.NumLayers, c.Text.NumDecoderLayers = n, n
	} else {
		c.Text.NumHiddenLayers = n
	}
	return &c
}

func lmLayers(cfg *hfconfig.Config) int {
	if cfg.IsEncoderDecoder() {
		return cfg.Text.NumDecoderLayers
	}
	return cfg.Text.NumHiddenLayers
}

// extrapolated times the full image path with language models of a and b layers and
// extends the language-model stages linearly to all layers.
func (b *bencher) extrapolated(cfg *hfconfig.Config, p precision, ids []int, la, lb int, need, avail int64, memFraction float64) (benchRow, error) {
	full := lmLayers(cfg)
	lb = min(lb, full)
	la = min(la, lb-1)
	rowA, err := b.random(withLayers(cfg, la), p, ids)
	if err != nil {
		return benchRow{}, err
	}
	rowB, err := b.random(withLayers(cfg, lb), p, ids)
	if err != nil {
		return benchRow{}, err
	}
	scale := float64(full-lb) / float64(lb-la)
	// Medians extend linearly; the spread keeps the proportions of the larger run.
	ext := func(name string) benchStage {
		a, bb := rowA.stage(name), rowB.stage(name)
		// All layers take at least what the larger run took: with few runs, noise can
		// make the smaller run the slower one, and the line would slope down.
		med := max(bb.Median+scale*(bb.Median-a.Median), bb.Median)
		r := med / bb.Median
		return benchStage{Name: name, Median: med, P10: bb.P10 * r, P90: bb.P90 * r}
	}
	row := rowB
	pre, img := *rowB.stage("preprocess"), *rowB.stage("image path")
	first, per := ext("first token"), ext("per decoded token")
	total := pre.Median + img.Median + first.Median + float64(b.tokens)*per.Median
	row.Stages = []benchStage{pre, img, first, per, {Name: "caption (all stages)", Median: total,
		P10: pre.P10 + img.P10 + first.P10 + float64(b.tokens)*per.P10, P90: pre.P90 + img.P90 + first.P90 + float64(b.tokens)*per.P90}}
	if bs := rowB.stage(b.batchStage()); bs != nil {
		row.Stages = append(row.Stages, *bs) // the image path is timed in full
	}
	row.Note = fmt.Sprintf("%s weights take %.1f GB, over the %.1f GB allowed of %.1f GB available: image path timed in full; first token and decoding timed with %d and %d of the %d language-model layers and extrapolated linearly",
		p, float64(need)/1e9, float64(avail)*memFraction/1e9, float64(avail)/1e9, la, lb, full)
	return row, nil
}

// batchStage names the per-frame image path time of a batch.
func (b *bencher) batchStage() string {
	return fmt.Sprintf("image path, batch of %d, per frame", b.batch)
}

// time runs the stages of one caption; decoding ignores EOS so each run decodes the
// same number of tokens.
func (b *bencher) time(m *blip2.Model, ids []int) (benchRow, error) {
	names := []string{"preprocess", "image path", "first token", "per decoded token", "caption (all stages)"}
	if b.batch > 1 {
		names = append(names, b.batchStage())
	}
	samples := make([][]float64, len(names))
	var reads []float64
	var first time.Duration
	for i := 0; i < b.warmup+b.runs; i++ {
		if err := b.ctx.Err(); err != nil {
			return benchRow{}, err
		}
		t0 := time.Now()
		pixels, err := m.PixelValues(b.img)
		if err != nil {
			return benchRow{}, err
		}
		t1 := time.Now()
		f, err := m.EncodePixels(pixels)
		if err != nil {
			return benchRow{}, err
		}
		t2 := time.Now()
		emb, err := m.InputEmbeddings(f.Prefix, ids)
		if err != nil {
			return benchRow{}, err
		}
		seq, _, err := m.LM.Start(emb, b.tokens+1, false)
		if err != nil {
			return benchRow{}, err
		}
		t3 := time.Now()
		if _, err := runtime.Generate(b.ctx, seq, ids, runtime.GenerateOptions{MaxNewTokens: b.tokens + 1, EOS: []int{-1}}); err != nil {
			return benchRow{}, err
		}
		t4 := time.Now()
		if i == 0 {
			first = t4.Sub(t0)
		}
		var perFrame time.Duration
		if b.batch > 1 {
			frames := make([][]float32, b.batch)
			for k := range frames {
				frames[k] = pixels
			}
			t5 := time.Now()
			prefixes, err := m.EncodeBatch(frames)
			if err != nil {
				return benchRow{}, err
			}
			perFrame = time.Since(t5) / time.Duration(b.batch)
			runtime.Recycle(m.Backend, prefixes...)
		}
		if i < b.warmup {
			continue
		}
		if b.readBuf != nil && m.WeightBytes > cpu.ReadBytes { // a small model's weights would be flushed from the caches
			gbs, err := cpu.ReadGBs(b.ctx, b.readBuf, b.threads)
			if err != nil {
				return benchRow{}, err
			}
			reads = append(reads, gbs)
		}
		ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
		for j, v := range []float64{ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t3.Sub(t2)), ms(t4.Sub(t3)) / float64(b.tokens), ms(t4.Sub(t0)), ms(perFrame)} {
			if j < len(names) {
				samples[j] = append(samples[j], v)
			}
		}
	}
	row := benchRow{Model: modelName(m), Runs: b.runs, Threads: b.threads, firstCaption: first}
	if len(reads) > 0 {
		sort.Float64s(reads)
		row.ReadGBs = reads[len(reads)/2]
	}
	for i, n := range names {
		s := samples[i]
		sort.Float64s(s)
		q := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
		row.Stages = append(row.Stages, benchStage{Name: n, Median: q(0.5), P10: q(0.1), P90: q(0.9)})
	}
	return row, nil
}

// availableMemory is MemAvailable from /proc/meminfo in bytes, 0 when unknown.
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// freeMemory returns a dropped model's memory to the system before the next is built.
func freeMemory() {
	goruntime.GC()
	debug.FreeOSMemory()
}
