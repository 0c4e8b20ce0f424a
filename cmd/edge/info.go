package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/hfconfig"
)

func infoCommand() command {
	c := command{name: "info", summary: "Show a model's architecture, parameter counts, dtypes and the memory it needs."}
	c.usage = `Usage: edge info [--model DIR] [--json]

Examples:
  edge info
  edge info --model ~/models/blip2-opt-2.7b --json`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		mf.register(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		m, err := mf.load(e)
		if err != nil {
			return err
		}
		defer m.Close()
		in := describeModel(m)
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
		fmt.Fprintf(tw, "stored dtypes\t%s\n", dtypeList(in.DTypes))
		fmt.Fprintf(tw, "weights in memory\t%.1f MB\n", float64(in.WeightBytes)/1e6)
		fmt.Fprintf(tw, "image token\t%d (%s layout)\n", in.ImageToken, in.Layout)
		fmt.Fprintf(tw, "backend\t%s\n", in.Backend)
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
	WeightBytes   int64          `json:"weight_bytes"`
	ImageToken    int            `json:"image_token"`
	Layout        string         `json:"layout"`
	Backend       string         `json:"backend"`
}

func describeModel(m *blip2.Model) modelInfo {
	cfg := m.Config
	in := modelInfo{Dir: m.Dir, ImageToken: cfg.ImageTokenIndex, Backend: m.Backend.Name(), WeightBytes: m.WeightBytes, DTypes: m.StoredDTypes()}
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
