package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/edgevlm/edge/camera/scene"
	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/runtime"
)

func benchCommand() command {
	c := command{name: "bench", summary: "Time each stage of a model: preprocessing, image path, first token, decoding."}
	c.usage = `Usage: edge bench [flags]

Captions a rendered scene --runs times after --warmup runs and prints the median and the
10th–90th percentile spread of each stage, in fp32 and int8.

Examples:
  edge bench
  edge bench --threads 1 --runs 20 --json
  edge bench --model ~/models/blip2-opt-2.7b --runs 3`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		mf.register(fs)
		runs := fs.Int("runs", 10, "timed runs")
		warmup := fs.Int("warmup", 2, "untimed runs first")
		tokens := fs.Int("tokens", 12, "tokens to decode per run (EOS is ignored so every run decodes as many)")
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parse(fs, args); err != nil {
			return err
		}
		if *runs < 1 || *warmup < 0 || *tokens < 1 {
			return usagef("--runs and --tokens must be at least 1, --warmup not negative")
		}
		img := scene.Render(scene.Layout{Background: "gray", Shapes: []scene.Shape{{Kind: "circle", Color: "red", CX: 112, CY: 112, R: 40}}}, 448, 1)
		var rows []benchRow
		for _, int8 := range []bool{false, true} {
			m, err := mf.loadWith(e, int8)
			if err != nil {
				return err
			}
			row, err := benchModel(ctx, m, img, *runs, *warmup, *tokens)
			m.Close()
			if err != nil {
				return err
			}
			row.Weights = "fp32"
			if int8 {
				row.Weights = "int8"
			}
			row.Threads = mf.threads
			rows = append(rows, row)
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "model\tweights\tstage\tmedian ms\tp10–p90 ms\t")
		for _, r := range rows {
			for _, st := range r.Stages {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f–%.2f\t\n", r.Model, r.Weights, st.Name, st.Median, st.P10, st.P90)
			}
		}
		return tw.Flush()
	}
	return c
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
}

// benchModel times the stages of one caption; decoding ignores EOS so each run decodes
// the same number of tokens.
func benchModel(ctx context.Context, m *blip2.Model, img image.Image, runs, warmup, tokens int) (benchRow, error) {
	names := []string{"preprocess", "image path", "first token", "per decoded token", "caption (all stages)"}
	samples := make([][]float64, len(names))
	for i := 0; i < warmup+runs; i++ {
		t0 := time.Now()
		pixels, err := m.PixelValues(img)
		if err != nil {
			return benchRow{}, err
		}
		t1 := time.Now()
		f, err := m.EncodePixels(pixels)
		if err != nil {
			return benchRow{}, err
		}
		t2 := time.Now()
		ids, err := m.InputIDs("")
		if err != nil {
			return benchRow{}, err
		}
		emb, err := m.InputEmbeddings(f.Prefix, ids)
		if err != nil {
			return benchRow{}, err
		}
		seq, _, err := m.LM.Start(emb, false)
		if err != nil {
			return benchRow{}, err
		}
		t3 := time.Now()
		if _, err := runtime.Generate(ctx, seq, ids, runtime.GenerateOptions{MaxNewTokens: tokens + 1, EOS: []int{-1}}); err != nil {
			return benchRow{}, err
		}
		t4 := time.Now()
		if i < warmup {
			continue
		}
		ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
		for j, v := range []float64{ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t3.Sub(t2)), ms(t4.Sub(t3)) / float64(tokens), ms(t4.Sub(t0))} {
			samples[j] = append(samples[j], v)
		}
	}
	row := benchRow{Model: modelName(m), Runs: runs}
	for i, n := range names {
		s := samples[i]
		sort.Float64s(s)
		q := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
		row.Stages = append(row.Stages, benchStage{Name: n, Median: q(0.5), P10: q(0.1), P90: q(0.9)})
	}
	return row, nil
}
