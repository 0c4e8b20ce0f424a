package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/shapes"
	"github.com/edgevlm/edge/models/weights"
	"github.com/edgevlm/edge/runtime"
	"github.com/edgevlm/edge/runtime/cpu"
	"github.com/edgevlm/edge/runtime/cuda"
	"github.com/edgevlm/edge/runtime/tflite"
)

// newFlags makes a command's flag set whose --help prints usage (synopsis and examples)
// and the flags.
func newFlags(e env, c command) *flags {
	fs := flag.NewFlagSet("edge "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error; help is printed by parse only
	// for --help, so a mistyped flag gives one line, not a page.
	fs.Usage = func() {}
	return &flags{FlagSet: fs, help: func() { printHelp(e, fs, c) }}
}

// flags is a command's flag set with its help page.
type flags struct {
	*flag.FlagSet
	help func()
}

func printHelp(e env, fs *flag.FlagSet, c command) {
	w := e.stdout
	fmt.Fprintf(w, "%s\n\n%s\n\nFlags:\n", c.summary, strings.TrimSpace(c.usage))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse accepts flags before and after positional arguments ("edge ask IMG 'q?' --json").
func parse(fs *flags, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.help()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// modelFlags are the flags of every command that loads a model.
type modelFlags struct {
	model     string
	device    string
	threads   int
	encoder   string
	int8      bool
	int4      bool
	maxMemory string
	dtype     string
	// beforeLoad, when set, runs once the budget allows the model, before its weights
	// are read; onProgress also sees the load's progress (edge run's MQTT status).
	beforeLoad func(dir string) error
	onProgress func(done, total int64)
}

func (m *modelFlags) register(fs *flags) {
	fs.StringVar(&m.model, "model", "", "BLIP-2 checkpoint folder as on the Hugging Face hub (default: the embedded shapes model)")
	fs.StringVar(&m.device, "device", "cpu", "where to run: cpu or cuda")
	fs.IntVar(&m.threads, "threads", 0, "CPU threads (0: every core)")
	fs.BoolVar(&m.int8, "int8", false, "quantize the model to int8 while loading (W8A8 image path, int8-weight language model)")
	fs.BoolVar(&m.int4, "int4", false, "as --int8, but the language model's linear layers in int4 (groups of 64, fp16 scales)")
	fs.StringVar(&m.maxMemory, "max-memory", "", "refuse before loading a model that would take more than this, e.g. 7G, 7000M, 6.5GiB (default: the cgroup's memory limit, else the memory available now)")
	fs.StringVar(&m.dtype, "dtype", "auto", "precision of the float weight matrices on the CPU: auto (fp16/bf16 stay 16-bit as stored, fp32 stays fp32), fp32 (widen), fp16 or bf16 (narrow fp32 while loading: half the memory); norms and biases stay fp32, and --int8 wins for the matrices it quantizes")
	fs.StringVar(&m.encoder, "encoder", "native", "image path engine: native, tflite (export the model's image path and run it through TFLite), or a .tflite file")
}

func (m *modelFlags) backend(e env) (runtime.Backend, error) {
	switch m.device {
	case "cpu", "":
		return cpu.New(m.threads), nil
	case "cuda":
		be, err := cuda.New(cuda.Config{Precision: cuda.FP16})
		if err != nil {
			fmt.Fprintf(e.stderr, "edge: %v; running on the CPU\n", err)
			return cpu.New(m.threads), nil
		}
		return be, nil
	default:
		return nil, usagef("unknown --device %q: use cpu or cuda", m.device)
	}
}

func (m *modelFlags) load(e env) (*blip2.Model, error) { return m.loadWith(e, m.int8, m.int4) }

// dir is the checkpoint folder --model names, or the embedded shapes model's.
func (m *modelFlags) dir() (string, error) {
	if m.model == "" {
		return shapes.Dir()
	}
	if _, err := os.Stat(m.model); err != nil {
		return "", fmt.Errorf("--model %s: no such folder; give a BLIP-2 checkpoint folder (config.json, *.safetensors, tokenizer.json) or leave --model out for the embedded shapes model", m.model)
	}
	return m.model, nil
}

// loadWith loads the model, quantizing it to int8 (or int4 for the language model) on
// the way when int8 (int4) is set.
func (m *modelFlags) loadWith(e env, int8, int4 bool) (*blip2.Model, error) {
	if int8 && int4 {
		return nil, usagef("--int8 and --int4 exclude each other: pick one")
	}
	dir, err := m.dir()
	if err != nil {
		return nil, err
	}
	dtype, err := weights.ParseDType(m.dtype)
	if err != nil {
		return nil, usagef("--%s", err)
	}
	be, err := m.backend(e)
	if err != nil {
		return nil, err
	}
	if err := m.checkBudget(dir, int8, int4, dtype, be); err != nil {
		return nil, err
	}
	if m.beforeLoad != nil {
		if err := m.beforeLoad(dir); err != nil {
			return nil, err
		}
	}
	progress, end := loadProgress(e, m.onProgress)
	model, err := blip2.Load(dir, blip2.Options{Backend: be, Int8: int8, Int4: int4, DType: dtype, Progress: progress})
	end()
	if err != nil {
		return nil, err
	}
	boundHeap()
	if err := m.attachEncoder(e, model, int8 || int4); err != nil {
		model.Close()
		return nil, err
	}
	return model, nil
}

// boundHeap gives the collector a soft memory limit of what the process holds after
// loading plus some room (128 MiB and 1/32 of the heap), unless GOMEMLIMIT sets one.
// With the default GOGC alone, the garbage of the forward passes may grow to the size
// of the live heap before a collection: on a full-size model that is gigabytes, which
// an 8 GB board does not have (blip2-opt-2.7b --int4: heap peak 2.82 GB without, see
// README). The weights are pointer-free, so the extra collections cost little.
func boundHeap() {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return // GOMEMLIMIT chose
	}
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(ms.Sys-ms.HeapReleased) + int64(ms.HeapAlloc/32) + 128<<20)
}

// loadProgress shows the load's progress on stderr once it takes over a second (a
// full-size checkpoint takes tens of seconds), and passes it on to also when set (the
// MQTT status of edge run); end finishes the line once the load returns.
func loadProgress(e env, also func(done, total int64)) (update func(done, total int64), end func()) {
	p := newProgress(e.stderr, "loading weights")
	return func(done, total int64) {
		p.update(done, total)
		if also != nil {
			also(done, total)
		}
	}, p.end
}

// attachEncoder runs the image path through TFLite when --encoder asks for it. When the
// TFLite library (or a build with it) is missing, it says so and the model's own image
// path runs, as without the flag.
func (m *modelFlags) attachEncoder(e env, model *blip2.Model, int8 bool) error {
	path := m.encoder
	switch {
	case path == "" || path == "native":
		return nil
	case path == "tflite":
		f, err := os.CreateTemp("", "edge-image-*.tflite")
		if err != nil {
			return err
		}
		f.Close()
		path = f.Name()
		if err := blip2.WriteTFLite(context.Background(), model.Dir, path, blip2.TFLiteOptions{Int8: int8}); err != nil {
			return fmt.Errorf("--encoder tflite: export: %w", err)
		}
		defer os.Remove(path) // the engine has read it
	case !strings.HasSuffix(path, ".tflite"):
		return usagef("--encoder %q: use native, tflite, or a .tflite file", m.encoder)
	}
	eng, err := tflite.Open(path, tflite.Config{Threads: m.threads})
	if errors.Is(err, tflite.ErrNotBuilt) || errors.Is(err, tflite.ErrLibrary) {
		fmt.Fprintf(e.stderr, "edge: %v; using the native image path\n", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("--encoder %s: %w", m.encoder, err)
	}
	model.ImageEncoder = func(pixels []float32) ([]float32, error) {
		return eng.Run(context.Background(), pixels)
	}
	return nil
}

// genFlags are the generation flags of caption, ask, chat, describe and run.
type genFlags struct {
	maxNew, minNew, beams, topK int
	temperature, topP, repPen   float64
	sample                      bool
	seed                        uint64
}

func (g *genFlags) register(fs *flags) {
	fs.IntVar(&g.maxNew, "max-new-tokens", 30, "most tokens to generate")
	fs.IntVar(&g.minNew, "min-new-tokens", 0, "fewest tokens to generate before the end token may be chosen")
	fs.IntVar(&g.beams, "beams", 1, "beam search with this many beams (1: greedy)")
	fs.Float64Var(&g.temperature, "temperature", 0, "sample with this temperature (0: no sampling)")
	fs.Float64Var(&g.topP, "top-p", 1, "sample only from the smallest set of tokens with this much probability")
	fs.IntVar(&g.topK, "top-k", 0, "sample only from the k most likely tokens (0: all)")
	fs.Uint64Var(&g.seed, "seed", 0, "random seed for sampling")
	fs.Float64Var(&g.repPen, "repetition-penalty", 1, "penalise tokens already in the text (1: off)")
}

func (g *genFlags) options(m *blip2.Model) (runtime.GenerateOptions, error) {
	o := m.DefaultGenerateOptions()
	if g.maxNew < 1 {
		return o, usagef("--max-new-tokens must be at least 1")
	}
	if g.beams < 1 {
		return o, usagef("--beams must be at least 1")
	}
	if g.temperature < 0 || g.topP <= 0 || g.topP > 1 || g.topK < 0 || g.repPen <= 0 {
		return o, usagef("--temperature ≥ 0, 0 < --top-p ≤ 1, --top-k ≥ 0 and --repetition-penalty > 0")
	}
	o.MaxNewTokens, o.MinNewTokens, o.NumBeams = g.maxNew, g.minNew, g.beams
	o.DoSample = g.temperature > 0 || g.topP < 1 || g.topK > 0
	if g.temperature > 0 {
		o.Temperature = g.temperature
	}
	o.TopP, o.TopK, o.Seed, o.RepetitionPenalty = g.topP, g.topK, g.seed, g.repPen
	return o, nil
}

// loadForGeneration loads the model and turns the generation flags into options; the
// model is closed again when the flags are wrong.
func loadForGeneration(e env, mf *modelFlags, gf *genFlags) (*blip2.Model, runtime.GenerateOptions, error) {
	m, err := mf.load(e)
	if err != nil {
		return nil, runtime.GenerateOptions{}, err
	}
	o, err := gf.options(m)
	if err != nil {
		m.Close()
		return nil, o, err
	}
	return m, o, nil
}
