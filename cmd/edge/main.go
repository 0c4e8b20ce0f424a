// Command edge runs BLIP-2 vision-language models on the edge.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "edge: not yet built")
	os.Exit(2)
}
