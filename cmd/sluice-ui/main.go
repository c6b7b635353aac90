// Command sluice-ui draws Sluice's windows (digest, settings, stats,
// welcome). The tray and `sluice ui NAME` start it on demand; it talks to
// the running Sluice through the control API and exits when its last
// window closes. It is a program of its own so that the resident sluice
// process never links Fyne's OpenGL stack.
//
//	sluice-ui [--config FILE] [--data DIR] digest|settings|stats|welcome
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // Windows has no zone database; schedules name IANA zones

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/ui"
)

func main() {
	start := time.Now()
	fs := flag.NewFlagSet("sluice-ui", flag.ContinueOnError)
	cfg := fs.String("config", "", "config file (default: as sluice resolves it)")
	data := fs.String("data", "", "data directory of the running Sluice")
	tab := fs.String("tab", "", "settings tab to show first: Schedule, Accounts, Rules, Notifications or General")
	trace := fs.Bool("trace", false, "print timing marks (e.g. when the digest is drawn) to stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: sluice-ui [--config FILE] [--data DIR] %s\n", strings.Join(ui.WindowNames(), "|"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		os.Exit(2)
	}
	opt := ui.Options{ConfigPath: paths.Config(*cfg), DataDir: paths.Data(*data), Tab: *tab}
	if *trace {
		opt.Trace = func(mark string) {
			fmt.Fprintf(os.Stderr, "sluice-ui: %s after %d ms\n", mark, time.Since(start).Milliseconds())
		}
	}
	fyneapp.SetMetadata(fyne.AppMetadata{ID: ui.AppID, Name: ui.AppName, Icon: ui.Icon(), Migrations: map[string]bool{"fyneDo": true}})
	fa := fyneapp.NewWithID(ui.AppID)
	fa.SetIcon(ui.Icon())
	if err := ui.Run(fa, fs.Arg(0), opt); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-ui:", err)
		os.Exit(2)
	}
}
