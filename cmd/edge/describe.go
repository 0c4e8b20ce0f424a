package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/edgevlm/edge/runtime"
)

var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

func describeCommand() command {
	c := command{name: "describe", summary: "Caption (or ask about) every image in a folder into a JSON-lines file, resumably."}
	c.usage = `Usage: edge describe [flags] DIR --out results.jsonl

Writes one JSON line per image (image, prompt, text, token_ids, model, timings_ms).
Images already in the output file are skipped, so an interrupted run continues where it
stopped; a line cut short by a crash is discarded and redone.

Examples:
  edge describe testdata/demo/images --out captions.jsonl
  edge describe photos/ --out answers.jsonl --question "is there a person?"`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		var gf genFlags
		mf.register(fs)
		gf.register(fs)
		out := fs.String("out", "", "results file (JSON lines; appended to)")
		prompt := fs.String("prompt", "", "text each caption continues")
		question := fs.String("question", "", "ask this question about every image instead of captioning")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 || *out == "" {
			return usagef("give a folder and --out FILE")
		}
		images, err := listImages(pos[0])
		if err != nil {
			return err
		}
		done, err := resume(*out)
		if err != nil {
			return err
		}
		m, o, err := loadForGeneration(e, &mf, &gf)
		if err != nil {
			return err
		}
		defer m.Close()
		p := *prompt
		if *question != "" {
			p = runtime.FormatQuestion(*question)
		}
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		bar := progress{w: e.stderr, total: len(images), start: time.Now()}
		for i, path := range images {
			if done[path] {
				bar.skipped++
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			a, err := generate(ctx, m, path, p, o)
			if err != nil {
				return err
			}
			line, err := json.Marshal(a)
			if err != nil {
				return err
			}
			// One write per line: a crash leaves at most one partial line, which resume drops.
			if _, err := f.Write(append(line, '\n')); err != nil {
				return fmt.Errorf("write %s: %w", *out, err)
			}
			bar.show(i+1, filepath.Base(path))
		}
		bar.finish()
		return f.Sync()
	}
	return c
}

func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder %s: %w", dir, err)
	}
	var out []string
	for _, en := range entries {
		if !en.IsDir() && imageExts[strings.ToLower(filepath.Ext(en.Name()))] {
			out = append(out, filepath.Join(dir, en.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("image folder %s holds no PNG, JPEG or GIF files", dir)
	}
	sort.Strings(out)
	return out, nil
}

// resume reads the images already described in path and cuts off a trailing partial line.
func resume(path string) (map[string]bool, error) {
	done := map[string]bool{}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	good := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a answer
		if json.Unmarshal(sc.Bytes(), &a) != nil || a.Image == "" {
			break
		}
		done[a.Image] = true
		good += len(sc.Bytes()) + 1
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return nil, fmt.Errorf("drop the partial last line of %s: %w", path, err)
		}
	}
	return done, nil
}

// progress is a one-line progress bar on stderr.
type progress struct {
	w              io.Writer
	total, skipped int
	start          time.Time
	did            int
}

func (p *progress) show(n int, name string) {
	p.did++
	const width = 30
	fill := n * width / p.total
	per := time.Since(p.start) / time.Duration(p.did)
	left := per * time.Duration(p.total-n)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %-24.24s %4d ms/image, %s left ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		n, p.total, name, per.Milliseconds(), left.Round(time.Second))
}

func (p *progress) finish() {
	fmt.Fprintf(p.w, "\rdescribed %d image(s), skipped %d already done, in %s%s\n", p.did, p.skipped,
		time.Since(p.start).Round(time.Millisecond), strings.Repeat(" ", 30))
}
