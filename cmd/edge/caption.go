package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime"
)

// answer is one line of --json output (and of describe's results file).
type answer struct {
	Image     string             `json:"image"`
	Prompt    string             `json:"prompt"`
	Text      string             `json:"text"`
	TokenIDs  []int              `json:"token_ids"`
	PromptIDs []int              `json:"prompt_ids,omitempty"`
	Model     string             `json:"model"`
	TimingsMS map[string]float64 `json:"timings_ms"`
}

func modelName(m *blip2.Model) string { return filepath.Base(m.Dir) }

// generate runs one image through the model.
func generate(ctx context.Context, m *blip2.Model, path, prompt string, o runtime.GenerateOptions) (answer, error) {
	img, err := preprocess.DecodeFile(path)
	if err != nil {
		return answer{}, err
	}
	r, err := m.Generate(ctx, img, prompt, o)
	if err != nil {
		return answer{}, fmt.Errorf("%s: %w", path, err)
	}
	return answer{Image: path, Prompt: prompt, Text: r.Text, TokenIDs: r.Tokens, PromptIDs: r.PromptIDs,
		Model: modelName(m), TimingsMS: r.Timings.MS()}, nil
}

func printAnswer(e env, a answer, asJSON, showName bool) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(a)
	}
	if showName {
		_, err := fmt.Fprintf(e.stdout, "%s: %s\n", a.Image, a.Text)
		return err
	}
	_, err := fmt.Fprintln(e.stdout, a.Text)
	return err
}

func captionCommand() command {
	c := command{name: "caption", summary: "Describe images, optionally continuing a prompt."}
	c.usage = `Usage: edge caption [flags] IMAGE...

Examples:
  edge caption testdata/demo/images/scene00.png
      a green square and a blue circle on a gray background
  edge caption --prompt "a picture of" photo.jpg
  edge caption --json --beams 3 *.png
  edge caption --model ~/models/blip2-opt-2.7b photo.jpg`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		var gf genFlags
		mf.register(fs)
		gf.register(fs)
		prompt := fs.String("prompt", "", "text the caption continues")
		asJSON := fs.Bool("json", false, "print one JSON object per image: text, token ids, timings per stage")
		images, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(images) == 0 {
			return usagef("give at least one image")
		}
		m, o, err := loadForGeneration(e, &mf, &gf)
		if err != nil {
			return err
		}
		defer m.Close()
		for _, path := range images {
			a, err := generate(ctx, m, path, *prompt, o)
			if err != nil {
				return err
			}
			if err := printAnswer(e, a, *asJSON, len(images) > 1); err != nil {
				return err
			}
		}
		return nil
	}
	return c
}

func askCommand() command {
	c := command{name: "ask", summary: `Answer a question about an image ("Question: {q} Answer:").`}
	c.usage = `Usage: edge ask [flags] IMAGE QUESTION

Examples:
  edge ask testdata/demo/images/scene00.png "what color is the background?"
      gray
  edge ask --json photo.jpg "how many shapes are there?"`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		var gf genFlags
		mf.register(fs)
		gf.register(fs)
		asJSON := fs.Bool("json", false, "print JSON: text, token ids, timings per stage")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			return usagef("give an image and a question, e.g. edge ask photo.jpg \"what is on the table?\"")
		}
		if strings.TrimSpace(pos[1]) == "" {
			return usagef("the question is empty")
		}
		m, o, err := loadForGeneration(e, &mf, &gf)
		if err != nil {
			return err
		}
		defer m.Close()
		a, err := generate(ctx, m, pos[0], runtime.FormatQuestion(pos[1]), o)
		if err != nil {
			return err
		}
		return printAnswer(e, a, *asJSON, false)
	}
	return c
}
