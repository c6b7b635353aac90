// Command sluice is the Sluice desktop app, its headless daemon and its
// command-line client, in one binary. See `sluice help`.
package main

import (
	"os"
	_ "time/tzdata" // Windows has no zone database; schedules name IANA zones

	"github.com/sluice-app/sluice/app/cli"
	"github.com/sluice-app/sluice/app/desktop"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(cli.Run(cli.Env{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version,
		// With no command, sluice runs the desktop face: tray,
		// notifications, windows on demand (a separate sluice-ui process).
		Desktop: desktop.Main,
	}))
}
