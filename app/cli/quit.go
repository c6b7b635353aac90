package cli

import (
	"fmt"
	"strings"
	"time"
)

// quitWait is how long `sluice quit` waits for Sluice to exit.
const quitWait = 15 * time.Second

// runQuit stops the running Sluice (the tray app or a headless daemon) and
// waits until its process has exited, so that a script can start another
// one on the same data directory right after.
func runQuit(e *Env, args []string) error {
	fs := newFlags(e, "quit")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	cl := e.client()
	st, err := cl.Status(c)
	if err != nil {
		return err
	}
	said, err := cl.QuitSaying(c)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(said, "\n") {
		if line != "" && line != "quitting" {
			fmt.Fprintln(e.Stdout, "Released before quitting:", line)
		}
	}
	deadline := time.Now().Add(quitWait)
	for processAlive(st.PID) {
		if time.Now().After(deadline) {
			return fmt.Errorf("asked Sluice (pid %d) to quit, but it is still running after %s", st.PID, quitWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintln(e.Stdout, "Sluice has quit.")
	return nil
}
