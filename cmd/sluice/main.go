// Command sluice is the Sluice desktop app, its headless daemon and its
// command-line client, in one binary. See `sluice help`.
package main

import (
	"os"

	"github.com/sluice-app/sluice/app/cli"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(cli.Main(cli.Env{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version,
	}))
}
