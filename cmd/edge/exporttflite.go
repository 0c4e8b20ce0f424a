package main

import (
	"context"
	"fmt"
	"os"

	"github.com/edgevlm/edge/models/blip2"
	"github.com/edgevlm/edge/models/shapes"
)

func exportTFLiteCommand() command {
	c := command{name: "export-tflite", summary: "Write the image path (ViT, Q-Former, projection) as a TFLite model."}
	c.usage = `Usage: edge export-tflite [--model DIR] [--int8] OUT.tflite

The file takes "pixel_values" [1,3,S,S] (float32, preprocessed) and gives "prefix"
[1,queries,lm_dim]; its signature names both. With --int8 the linear layers carry int8
weights with float activations. Any TFLite runtime can run it (XNNPack on any CPU, GPU
delegates, NPUs); the project's own engine is built with 'make tflite'.

Examples:
  edge export-tflite shapes.tflite
  edge export-tflite --model ~/models/blip2-opt-2.7b --int8 blip2-image-int8.tflite`
	c.run = func(ctx context.Context, e env, args []string) error {
		fs := newFlags(e, c)
		model := fs.String("model", "", "BLIP-2 checkpoint folder (default: the embedded shapes model)")
		int8 := fs.Bool("int8", false, "int8 weights for the linear layers")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("give the output file, e.g. edge export-tflite image.tflite")
		}
		dir := *model
		if dir == "" {
			if dir, err = shapes.Dir(); err != nil {
				return err
			}
		}
		if err := blip2.WriteTFLite(ctx, dir, pos[0], blip2.TFLiteOptions{Int8: *int8}); err != nil {
			return err
		}
		st, err := os.Stat(pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s (%.1f MB)\n", pos[0], float64(st.Size())/1e6)
		return nil
	}
	return c
}
