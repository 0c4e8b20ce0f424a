package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/edgevlm/edge/board/memory"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
)

func infoCommand() command {
	c := command{name: "info", summary: "Show a model's architecture, parameter counts, dtypes, the memory it needs and which boards it fits."}
	c.usage = `Usage: edge info [--model DIR] [--json]

Reads config.json and the safetensors headers only (no weight is loaded, so it answers
in well under a second for a 15 GB checkpoint) and says, for each Jetson board and each
precision, whether the weights fit in what the board leaves free.

Examples:
  edge info
  edge info --model ~/models/blip2-opt-2.7b
  edge info --model ~/models/blip2-flan-t5-xl --json`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		mf.register(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		dir, err := mf.dir()
		if err != nil {
			return err
		}
		ck, err := blip2.Inspect(dir)
		if err != nil {
			return err
		}
		if len(ck.Missing) > 0 {
			return fmt.Errorf("model %s lacks %d tensors its config implies (first: %s)", dir, len(ck.Missing), ck.Missing[0])
		}
		in := describeCheckpoint(ck)
		budget, known, err := mf.budget()
		if err != nil {
			return err
		}
		if known {
			in.Machine = machineFit(ck, in, budget)
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(in)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "model\t%s\n", in.Dir)
		fmt.Fprintf(tw, "language model\t%s\n", in.LanguageModel)
		fmt.Fprintf(tw, "vision\t%s\n", in.Vision)
		fmt.Fprintf(tw, "q-former\t%s\n", in.QFormer)
		for _, p := range in.Parts {
			fmt.Fprintf(tw, "parameters: %s\t%s\n", p.Name, human(p.Params))
		}
		fmt.Fprintf(tw, "parameters: total\t%s\n", human(in.Params))
		fmt.Fprintf(tw, "stored dtypes\t%s (%.2f GB on disk)\n", dtypeList(in.DTypes), float64(in.StoredBytes)/1e9)
		for _, w := range in.Weights {
			fmt.Fprintf(tw, "weights in memory: %s\t%.2f GB\n", w.Precision, float64(w.Bytes)/1e9)
		}
		fmt.Fprintf(tw, "image token\t%d (%s layout)\n", in.ImageToken, in.Layout)
		for _, b := range in.Boards {
			fmt.Fprintf(tw, "fits %s (%.1f GB free)\t%s\n", b.Board, float64(b.FreeBytes)/1e9, fitList(b.Fits))
		}
		if mc := in.Machine; mc != nil {
			var needs []string
			for _, w := range in.Weights {
				needs = append(needs, fmt.Sprintf("%s needs %s", w.Precision, memory.Size(mc.Needs[w.Precision])))
			}
			fmt.Fprintf(tw, "fits this machine (%s)\t%s; %s at context %d\n", memory.Budget{Bytes: mc.BudgetBytes, Source: mc.BudgetSource},
				fitList(mc.Fits), strings.Join(needs, ", "), mc.Context)
		}
		return tw.Flush()
	}
	return c
}

type partInfo struct {
	Name   string `json:"name"`
	Params int64  `json:"params"`
}

type modelInfo struct {
	Dir           string         `json:"dir"`
	LanguageModel string         `json:"language_model"`
	Vision        string         `json:"vision"`
	QFormer       string         `json:"qformer"`
	Parts         []partInfo     `json:"parts"`
	Params        int64          `json:"params"`
	DTypes        map[string]int `json:"stored_dtypes"`
	StoredBytes   int64          `json:"stored_bytes"`
	Weights       []weightsInfo  `json:"weights_in_memory"`
	Boards        []boardFit     `json:"boards"`
	Machine       *machineInfo   `json:"this_machine,omitempty"`
	ImageToken    int            `json:"image_token"`
	Layout        string         `json:"layout"`
}

// weightsInfo is the memory the weights take loaded in one precision.
type weightsInfo struct {
	Precision string `json:"precision"`
	Bytes     int64  `json:"bytes"`
}

// boardFit says which precisions fit on one board.
type boardFit struct {
	Board     string          `json:"board"`
	FreeBytes int64           `json:"free_bytes"`
	Fits      map[string]bool `json:"fits"`
}

// machineInfo says what loading and running the model takes (weights, KV cache and
// activations at the full context) against this machine's memory budget, which is what
// every command that loads it checks first.
type machineInfo struct {
	BudgetBytes  int64            `json:"budget_bytes"`
	BudgetSource string           `json:"budget_source"`
	Context      int              `json:"context"`
	Needs        map[string]int64 `json:"needs"`
	Fits         map[string]bool  `json:"fits"`
}

func machineFit(ck *blip2.Checkpoint, in modelInfo, b memory.Budget) *machineInfo {
	mc := &machineInfo{BudgetBytes: b.Bytes, BudgetSource: b.Source, Context: ck.Context(blip2.NeedOptions{}),
		Needs: map[string]int64{}, Fits: map[string]bool{}}
	for _, w := range in.Weights {
		n := ck.Need(blip2.NeedOptions{Int8: w.Precision == "int8"}).Total()
		mc.Needs[w.Precision], mc.Fits[w.Precision] = n, n <= b.Bytes
	}
	return mc
}

// jetsonBoards are the Orin modules with the memory CPU and GPU share.
var jetsonBoards = []struct {
	name  string
	bytes int64
}{{"Orin Nano 8 GB", 8e9}, {"Orin NX 16 GB", 16e9}, {"AGX Orin 32 GB", 32e9}, {"AGX Orin 64 GB", 64e9}}

// osReserve is what the OS and JetPack keep on a board (about 1–1.5 GB).
const osReserve = 1.5e9

func fitList(fits map[string]bool) string {
	var yes, no []string
	for _, p := range []string{"fp32", "int8"} {
		ok, known := fits[p]
		switch {
		case !known:
		case ok:
			yes = append(yes, p)
		default:
			no = append(no, p)
		}
	}
	out := "no precision"
	if len(yes) > 0 {
		out = strings.Join(yes, ", ")
	}
	if len(no) > 0 {
		out += " (not " + strings.Join(no, ", ") + ")"
	}
	return out
}

func describeCheckpoint(ck *blip2.Checkpoint) modelInfo {
	cfg := ck.Config
	in := modelInfo{Dir: ck.Dir, ImageToken: cfg.ImageTokenIndex, DTypes: ck.DTypes, StoredBytes: ck.StoredBytes}
	// F32, F16 and BF16 weights are held in fp32 by the CPU backend today; --int8
	// (or a quantized folder) holds the int8 plan's matrices in int8.
	if cfg.Quantization == nil {
		in.Weights = append(in.Weights, weightsInfo{"fp32", blip2.WeightBytes(cfg, false, false)})
	}
	in.Weights = append(in.Weights, weightsInfo{"int8", blip2.WeightBytes(cfg, true, false)})
	for _, b := range jetsonBoards {
		f := boardFit{Board: b.name, FreeBytes: b.bytes - osReserve, Fits: map[string]bool{}}
		for _, w := range in.Weights {
			// The weights, and the KV cache and activations at the full context.
			f.Fits[w.Precision] = ck.Need(blip2.NeedOptions{Int8: w.Precision == "int8"}).Total() <= f.FreeBytes
		}
		in.Boards = append(in.Boards, f)
	}
	in.Layout = "current"
	if cfg.ImageTokenIndex < 0 {
		in.Layout = "older (prefix concatenated)"
	}
	t := cfg.Text
	if t.ModelType == "t5" {
		in.LanguageModel = fmt.Sprintf("T5 encoder-decoder: d_model %d, %d+%d layers, %d heads, d_ff %d (%s%s), vocab %d",
			t.DModel, t.NumLayers, t.NumDecoderLayers, t.NumHeads, t.DFF, gatedName(t), t.DenseActFn, t.VocabSize)
	} else {
		in.LanguageModel = fmt.Sprintf("OPT decoder: hidden %d, %d layers, %d heads, ffn %d, vocab %d, context %d",
			t.HiddenSize, t.NumHiddenLayers, t.NumAttentionHeads, t.FFNDim, t.VocabSize, t.MaxPositionEmbeddings)
	}
	v := cfg.Vision
	in.Vision = fmt.Sprintf("ViT: hidden %d, %d layers, %d heads, mlp %d, image %d, patch %d", v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize, v.ImageSize, v.PatchSize)
	q := cfg.QFormer
	in.QFormer = fmt.Sprintf("hidden %d, %d layers, %d heads, %d queries, cross-attention every %d", q.HiddenSize, q.NumHiddenLayers, q.NumAttentionHeads, cfg.NumQueryTokens, q.CrossAttentionFrequency)
	for _, p := range blip2.ParameterCounts(cfg) {
		in.Parts = append(in.Parts, partInfo{p.Name, p.Params})
		in.Params += p.Params
	}
	return in
}

func gatedName(t hfconfig.TextConfig) string {
	if t.IsGatedAct {
		return "gated "
	}
	return ""
}

func human(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	default:
		return fmt.Sprintf("%d", n)
	}
}

// dtypeList prints {"F16": 195, "I8": 68} as "F16 ×195, I8 ×68".
func dtypeList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
