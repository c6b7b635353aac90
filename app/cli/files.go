package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/schedule"
)

func runInit(e *Env, args []string) error {
	fs := newFlags(e, "init")
	tmpl := fs.String("template", "twice-a-day", "twice-a-day, three-times-a-day or makers-day")
	zone := fs.String("zone", "", "IANA time zone (default: the system's)")
	force := fs.Bool("force", false, "overwrite an existing config")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	if _, err := schedule.Template(*tmpl, time.UTC); err != nil {
		return usagef("init: --template: %v", err)
	}
	if *zone != "" {
		if _, err := time.LoadLocation(*zone); err != nil {
			return usagef("init: --zone %q is not a known IANA time zone", *zone)
		}
	}
	if _, err := os.Stat(e.ConfigPath); err == nil && !*force {
		return fmt.Errorf("%s exists; use --force to overwrite it", e.ConfigPath)
	}
	data := config.Commented(*tmpl, *zone)
	if _, err := config.Parse(data); err != nil {
		return fmt.Errorf("internal error: the default config does not parse: %w", err)
	}
	if err := config.WriteFileAtomic(e.ConfigPath, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, "Wrote", e.ConfigPath)
	return nil
}

func runConfig(e *Env, args []string) error {
	if len(args) == 0 {
		return usagef("config: want check, path or reload")
	}
	fs := newFlags(e, "config")
	if err := noArgs(fs, e, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "path":
		fmt.Fprintln(e.Stdout, e.ConfigPath)
		return nil
	case "check":
		if _, err := os.Stat(e.ConfigPath); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(e.Stdout, "%s does not exist: Sluice uses the defaults (create it with `sluice init`).\n", e.ConfigPath)
			return nil
		}
		if _, err := config.Load(e.ConfigPath); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s is valid.\n", e.ConfigPath)
		return nil
	case "reload":
		c, cancel := ctx()
		defer cancel()
		if err := e.client().Reload(c); err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, "Config reloaded.")
		return nil
	case "--help", "-h", "help":
		fs.Usage()
		return nil
	}
	return usagef("config: unknown subcommand %q (want check, path or reload)", args[0])
}

func runToken(e *Env, args []string) error {
	fs := newFlags(e, "token")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	tok, err := app.ReadLocalToken(e.DataDir)
	if err != nil {
		return err
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	state := "on"
	if !cfg.Local.HTTP {
		state = "off (set [local] http = true to turn it on)"
	}
	fmt.Fprintf(e.Stdout, "URL:   http://%s/v1/items  (HTTP endpoint %s)\nToken: %s\n", cfg.Local.Listen, state, tok)
	return nil
}

func versionString(e *Env) string {
	if e.Version != "" {
		return e.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Commit is stamped at build time (-ldflags "-X …/app/cli.Commit=…").
var Commit = ""

func runVersion(e *Env, args []string) error {
	fs := newFlags(e, "version")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	commit := Commit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(e.Stdout, "sluice %s (commit %s, %s, %s/%s)\n", versionString(e), commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
