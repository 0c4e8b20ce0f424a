// Command edge runs BLIP-2 vision-language models on Jetson boards and any Linux machine:
// captions, questions and chats about images from the command line, and the camera loop
// that publishes captions and answers over MQTT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// env is what a command reads and writes, so tests can run commands in-process too.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name    string
	summary string
	usage   string // the synopsis and real examples shown by --help
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		captionCommand(), askCommand(), chatCommand(), describeCommand(), infoCommand(),
		runCommand(), serveCommand(), demoCommand(), quantizeCommand(), benchCommand(), exportTFLiteCommand(),
	}
}

// usageError is a mistake in how the command was called: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

func topUsage(w io.Writer) {
	fmt.Fprintln(w, "edge runs BLIP-2 vision-language models: captions, answers and chats about images,")
	fmt.Fprintln(w, "and a camera loop that publishes them over MQTT.")
	fmt.Fprintln(w, "\nUsage: edge COMMAND [flags] [arguments]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nExamples:")
	fmt.Fprintln(w, "  edge caption photo.jpg")
	fmt.Fprintln(w, "  edge ask photo.jpg \"what color is the background?\"")
	fmt.Fprintln(w, "  edge demo")
	fmt.Fprintln(w, "\nRun 'edge COMMAND --help' for a command's flags and examples.")
	fmt.Fprintln(w, "Without --model, edge uses its embedded shapes model (BLIP-2 with OPT, 5.5 M parameters).")
}

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		topUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintln(e.stdout, "edge", version)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(e.stderr, "edge %s: %v (see 'edge %s --help')\n", c.name, err, c.name)
			return 2
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(e.stderr, "edge %s: interrupted\n", c.name)
			return 130
		default:
			fmt.Fprintf(e.stderr, "edge %s: %s\n", c.name, oneLine(err))
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "edge: unknown command %q (see 'edge --help')\n", args[0])
	return 2
}

// oneLine folds a (possibly joined) error into one line.
func oneLine(err error) string {
	msg := strings.ReplaceAll(err.Error(), ":\n", ": ") // "errors:\n  line 3: …" reads as one clause
	return strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
}

const version = "0.1.0"
