package main

import (
	"context"
	"fmt"
	"time"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/shapes"
	"github.com/edgevlm/edge/quant"
	"github.com/edgevlm/edge/runtime/cpu"
)

func quantizeCommand() command {
	c := command{name: "quantize", summary: "Write an int8 (or int4) copy of a checkpoint (still safetensors; load it with --model)."}
	c.usage = `Usage: edge quantize [flags] IN OUT

Vision encoder and Q-Former get int8 weights and int8 activations (W8A8); the language
model gets int8 weights with float activations (--lm-w8a8 for int8 activations too).
Norms, biases, positions and the patch convolution stay in floating point. The copy is
written to a temporary folder beside OUT, loaded back to check it, and only then renamed
to OUT. With --bits 4 the language model's linear layers are stored in int4 (groups of
--group inputs, one fp16 scale each; symmetric) and the rest as with 8 bits: what --int4
makes on load.

Examples:
  edge quantize ~/models/blip2-opt-2.7b ~/models/blip2-opt-2.7b-int8
  edge caption --model ~/models/blip2-opt-2.7b-int8 photo.jpg
  edge quantize embedded shapes-int8        # the embedded shapes model
  edge quantize --bits 4 ~/models/blip2-opt-2.7b ~/models/blip2-opt-2.7b-int4`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		lmW8A8 := fs.Bool("lm-w8a8", false, "quantize the language model's activations too")
		bits := fs.Int("bits", 8, "8, or 4 for the language model's linear layers in int4 groups")
		group := fs.Int("group", blip2.DefaultInt4Group, "with --bits 4: inputs per int4 group (a multiple of 32)")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			return usagef("give the checkpoint folder to read and the folder to write")
		}
		if *bits != 8 && *bits != 4 {
			return usagef("--bits %d: use 8 or 4", *bits)
		}
		if *bits == 4 && (*group <= 0 || *group%32 != 0) {
			return usagef("--group %d: use a positive multiple of 32", *group)
		}
		if *bits == 4 && *lmW8A8 {
			return usagef("--lm-w8a8 is for 8 bits: --bits 4 keeps float activations in the language model")
		}
		in, out := pos[0], pos[1]
		if in == "embedded" {
			if in, err = shapes.Dir(); err != nil {
				return err
			}
		}
		start := time.Now()
		shown := newProgress(e.stderr, "quantizing")
		rep, err := quant.WriteCheckpoint(ctx, in, out, quant.Options{Plan: blip2.QuantPlan(*lmW8A8), Bits: *bits, Group: *group, Progress: shown.update,
			Verify: func(dir string) error {
				m, err := blip2.Load(dir, blip2.Options{Backend: cpu.New(0)})
				if err != nil {
					return err
				}
				return m.Close()
			}})
		shown.end()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s: %d tensors, %d quantized, %.1f MB → %.1f MB of weights, in %s\n", out, rep.Tensors, rep.Quantized,
			float64(rep.BytesIn)/1e6, float64(rep.BytesOut)/1e6, time.Since(start).Round(time.Millisecond))
		return nil
	}
	return c
}
