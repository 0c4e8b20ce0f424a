package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/edgevlm/edge/models/preprocess"
	"github.com/edgevlm/edge/runtime"
)

func chatCommand() command {
	c := command{name: "chat", summary: "Talk about an image: one question per line on stdin, context kept between turns."}
	c.usage = `Usage: edge chat [flags] IMAGE

Each line you type is a question; edge answers it with the earlier turns as context
("Question: … Answer: …. Question: … Answer:"), dropping the oldest turns when the
language model's context is full (it says so). An empty line or end of input ends the chat.

Examples:
  edge chat testdata/demo/images/scene00.png
  > what shape is on the left?
  square
  > what color is it?
  green
  printf 'what shape is on the left?\nwhat color is it?\n' | edge chat scene.png`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		var mf modelFlags
		var gf genFlags
		mf.register(fs)
		gf.register(fs)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("give one image")
		}
		img, err := preprocess.DecodeFile(pos[0])
		if err != nil {
			return err
		}
		m, o, err := loadForGeneration(e, &mf, &gf)
		if err != nil {
			return err
		}
		defer m.Close()
		pixels, err := m.PixelValues(img)
		if err != nil {
			return err
		}
		var session runtime.Session
		in := bufio.NewScanner(e.stdin)
		in.Buffer(make([]byte, 64*1024), 1<<20)
		for {
			fmt.Fprint(e.stderr, "> ")
			if !in.Scan() {
				fmt.Fprintln(e.stderr)
				return in.Err()
			}
			q := strings.TrimSpace(in.Text())
			if q == "" {
				return nil
			}
			prompt, dropped, err := session.Prompt(q, func(p string) (bool, error) { return m.FitsChat(p, o.MaxNewTokens) })
			if err != nil {
				fmt.Fprintf(e.stderr, "edge chat: %v\n", err)
				continue
			}
			if dropped > 0 {
				fmt.Fprintf(e.stderr, "(dropped the %d oldest turn(s) to fit the context)\n", dropped)
			}
			r, err := m.GenerateFromPixels(ctx, pixels, prompt, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, r.Text)
			session.Add(q, r.Text, dropped)
		}
	}
	return c
}
