package main

import (
	"context"
	"errors"
)

// These commands land with their own issues; until then they say so plainly.

func quantizeCommand() command {
	c := command{name: "quantize", summary: "Write an int8 copy of a checkpoint (not yet available)."}
	c.usage = "Usage: edge quantize IN OUT"
	c.run = func(ctx context.Context, e env, args []string) error {
		return errors.New("quantize is not built yet")
	}
	return c
}

func benchCommand() command {
	c := command{name: "bench", summary: "Time each stage of the model (not yet available)."}
	c.usage = "Usage: edge bench"
	c.run = func(ctx context.Context, e env, args []string) error {
		return errors.New("bench is not built yet")
	}
	return c
}
