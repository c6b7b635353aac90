// Package cli is Sluice's command line: the subcommands people and tests
// use, each a thin client of the control API except those that run Sluice
// itself (daemon, the desktop app) or work on files (init, config, account).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/paths"
)

// Exit codes.
const (
	ExitOK         = 0
	ExitError      = 1
	ExitUsage      = 2
	ExitRunning    = 3 // another Sluice holds the data directory
	ExitNotRunning = 4 // a client command found no running Sluice
)

// Env is what a command runs with.
type Env struct {
	Args                 []string
	Stdin                io.Reader
	Stdout, Stderr       io.Writer
	Version              string
	ConfigPath, DataDir  string // resolved from --config/--data, env, defaults
	configFlag, dataFlag string
	stdinIsTerminal      bool
	stdoutIsTerminal     bool
	// OpenURL opens a sign-in page in the browser (nil: the user's, through
	// $BROWSER or the desktop's handler). Tests put an HTTP client there.
	OpenURL func(url string) error
	// Desktop runs a built Sluice with the desktop face (tray,
	// notifications, windows on demand) until ctx ends or the user quits.
	// cmd/sluice gives app/desktop's; nil means `sluice` with no command
	// runs like the daemon.
	Desktop func(ctx context.Context, a *app.App, log *slog.Logger) error
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // arguments after the name
	summary string
	run     func(e *Env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"daemon", "", "run headless in the foreground, logging to stderr", runDaemon},
		{"status", "[--json]", "mode, until when, held count, next check-in, connector health", runStatus},
		{"checkin", "", "release everything held now", runCheckin},
		{"focus", "DURATION|next|end", "focus for 25m/50m/1h30m, until the next check-in, or end focus", runFocus},
		{"pause", "DURATION", "deliver everything live for a while (e.g. 1h)", runPause},
		{"resume", "", "end a pause", runResume},
		{"held", "[--json] [--search TEXT] [--limit N [--before ID|--after ID]]", "list held items", runHeld},
		{"digest", "[--json] [--search TEXT] [--limit N [--before ID|--after ID]]", "list released items not yet done", runDigest},
		{"replies", "[--json]", "released items waiting for your reply, by when your promise falls due", runReplies},
		{"done", "ID…|--all", "mark items done", runDone},
		{"snooze", "ID…", "put released items back on hold until the next check-in", runSnooze},
		{"explain", "ID", "show an item and why it was held or let through", runExplain},
		{"send", "--title T [--body B] [--from F] [--urgent] [--link URL]", "push an item into the local inbox", runSend},
		{"rules", "test --from F --subject S [--body B] [--account A]", "test which rule matches and what would happen now", runRules},
		{"config", "check|path|reload", "validate, locate or reload the config file", runConfig},
		{"init", "[--template NAME] [--zone ZONE] [--force]", "write a commented default config", runInit},
		{"account", "add|list|remove|test|login|set-password|set-token|set-url …", "manage mail, chat and calendar accounts", runAccount},
		{"schedule", "[--days N] [--json]", "the coming days: modes, meetings, moved check-ins, published focus blocks", runSchedule},
		{"stats", "[--days N] [--json]", "per-day focus kept, items held, breakthroughs, waits, replies within your promise, no reply needed", runStats},
		{"store", "check|recover [--force] [--json]", "check the store file, or save what is readable from a damaged one", runStore},
		{"export", "[--state held|released|done|all]", "write items as JSON lines to stdout", runExport},
		{"token", "", "print the local inbox's URL and bearer token", runToken},
		{"ui", "digest|settings|stats|welcome", "open a window", runUI},
		{"quit", "", "stop the running Sluice (the tray app or the daemon) and wait until it has exited", runQuit},
		{"autostart", "on|off|status", "start Sluice when you log in (or stop doing so)", runAutostart},
		{"version", "", "print the version, commit and Go version", runVersion},
		{"help", "[COMMAND]", "show help", runHelp},
	}
}

// UsageError is a mistake on the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// Run runs the command line and returns the exit code.
func Run(e Env) int {
	args, err := e.globalFlags(e.Args)
	if err != nil {
		fmt.Fprintln(e.Stderr, "sluice:", err)
		return ExitUsage
	}
	e.ConfigPath = paths.Config(e.configFlag)
	e.DataDir = paths.Data(e.dataFlag)
	e.stdinIsTerminal = isTerminal(e.Stdin)
	e.stdoutIsTerminal = isTerminal(e.Stdout)
	if len(args) == 0 {
		return exitCode(&e, runDesktop(&e, nil))
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	if name == "--version" {
		name = "version"
	}
	for _, c := range commands {
		if c.name == name {
			return exitCode(&e, c.run(&e, args[1:]))
		}
	}
	fmt.Fprintf(e.Stderr, "sluice: unknown command %q\n\n", name)
	printUsage(e.Stderr)
	return ExitUsage
}

func exitCode(e *Env, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintln(e.Stderr, "sluice:", err)
	var ue *UsageError
	var ce *control.Error
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errAlreadyRunning):
		return ExitRunning
	case errors.Is(err, control.ErrNotRunning):
		return ExitNotRunning
	case errors.As(err, &ce):
		for _, f := range ce.Fields {
			fmt.Fprintln(e.Stderr, "  "+f)
		}
	}
	return ExitError
}

// globalFlags takes --config and --data from anywhere before "--".
func (e *Env) globalFlags(args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		for _, name := range []string{"config", "data"} {
			for _, prefix := range []string{"--" + name, "-" + name} {
				var val string
				switch {
				case a == prefix:
					if i+1 >= len(args) {
						return nil, fmt.Errorf("flag %s needs a value", a)
					}
					val = args[i+1]
					i++
				case strings.HasPrefix(a, prefix+"="):
					val = strings.TrimPrefix(a, prefix+"=")
				default:
					continue
				}
				if name == "config" {
					e.configFlag = val
				} else {
					e.dataFlag = val
				}
				goto next
			}
		}
		rest = append(rest, a)
	next:
	}
	return rest, nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Sluice holds your messages until the check-in times you chose, so the rest
of the day stays quiet. Urgent items still break through.

Usage: sluice [COMMAND] [FLAGS]

With no command, Sluice starts in the system tray (or, if it is already
running, opens the digest).

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Global flags (any command):
  --config FILE   config file (env SLUICE_CONFIG; default: `+paths.Config("")+`)
  --data DIR      data directory (env SLUICE_DATA; default: `+paths.Data("")+`)

Run 'sluice help COMMAND' or 'sluice COMMAND --help' for a command's flags.
`)
}

func runHelp(e *Env, args []string) error {
	if len(args) == 0 {
		printUsage(e.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(e, []string{"--help"})
		}
	}
	return usagef("unknown command %q", args[0])
}

// newFlags returns a flag set whose --help prints the command's usage.
func newFlags(e *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sluice "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var c command
	for _, cc := range commands {
		if cc.name == name {
			c = cc
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(e.Stdout, "Usage: sluice %s %s\n\n%s\n", name, c.usage, c.summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(e.Stdout, "\nFlags:")
			fs.SetOutput(e.Stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
		fmt.Fprintln(e.Stdout, "\nGlobal flags: --config FILE, --data DIR")
	}
	return fs
}

// parse parses flags anywhere among the arguments (so "done ID --all" and
// "done --all ID" both work) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // the flag package printed the usage
			}
			return nil, &UsageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (e *Env) client() *control.Client { return control.NewClient(e.DataDir) }

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

func noArgs(fs *flag.FlagSet, e *Env, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), pos[0])
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
