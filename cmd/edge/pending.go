package main

import (
	"context"
	"errors"
)

// These commands land with their own issues; until then they say so plainly.

func benchCommand() command {
	c := command{name: "bench", summary: "Time each stage of the model (not yet available)."}
	c.usage = "Usage: edge bench"
	c.run = func(ctx context.Context, e env, args []string) error {
		return errors.New("bench is not built yet")
	}
	return c
}
