package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// ignoreHangup keeps SIGHUP from killing `edge run` (its default action): a closed
// terminal or a log rotator's HUP must not stop a camera. It says so on each one;
// a changed configuration needs a restart. The returned function undoes it.
func ignoreHangup(w io.Writer) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				fmt.Fprintln(w, "edge run: SIGHUP ignored (restart edge run to load a changed configuration)")
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
