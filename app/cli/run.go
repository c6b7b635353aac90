package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/store"
)

//lint:ignore ST1005 Sluice is a product name, and this is the message users see.
var errAlreadyRunning = errors.New("Sluice is already running")

// EnvTestNow makes the daemon's clock start at the given RFC 3339 instant
// and run at real speed from there. Only end-to-end tests use it.
const EnvTestNow = "SLUICE_TEST_NOW"

// testClock, when set, lets end-to-end tests move the daemon's clock
// while it runs. Only builds with the sluicetest tag set it (testclock.go),
// so a release build has no such hook.
var testClock func(base clock.Clock, log *slog.Logger) (clock.Clock, func(ctx context.Context, wake func()))

// Desktop starts the desktop face on a built App (the tray, notifications,
// windows on demand). It is set by the desktop package when linked in; nil
// means the desktop app runs like the daemon.
var Desktop func(e *Env, a *app.App, log *slog.Logger) error

// Resident is set by the desktop package to build the OpenWindow hook.
var OpenWindow func(e *Env) func(name string) error

func runDaemon(e *Env, args []string) error {
	fs := newFlags(e, "daemon")
	level := fs.String("log-level", "", "debug, info, warn or error (default: the config's general.log_level)")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	log := newLogger(e.Stderr, *level, e.ConfigPath)
	return serve(e, log, nil)
}

// runDesktop is `sluice` with no command: forward to a running Sluice
// (open the digest), or start the desktop app.
func runDesktop(e *Env, args []string) error {
	if control.Running(e.DataDir, 2*time.Second) {
		ctx, cancel := ctx()
		defer cancel()
		err := e.client().OpenWindow(ctx, "digest")
		var ce *control.Error
		if errors.As(err, &ce) {
			// A headless instance cannot open windows: say it is running.
			fmt.Fprintln(e.Stdout, "Sluice is already running:", ce.Msg)
			return nil
		}
		return err
	}
	var w io.Writer = e.Stderr
	if !isTerminal(e.Stderr) {
		// Started by the desktop (launcher, autostart): log to a rotating file.
		dir := paths.Logs()
		if err := os.MkdirAll(dir, 0o700); err == nil {
			w = &lumberjack.Logger{Filename: filepath.Join(dir, "sluice.log"), MaxSize: 5, MaxBackups: 3, Compress: false}
		}
	}
	log := newLogger(w, "", e.ConfigPath)
	var open func(string) error
	if OpenWindow != nil {
		open = OpenWindow(e)
	}
	return serve(e, log, open)
}

func serve(e *Env, log *slog.Logger, open func(string) error) error {
	var clk clock.Clock = clock.Real{}
	if v := os.Getenv(EnvTestNow); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvTestNow, err)
		}
		clk = clock.Offset{D: time.Until(t)}
		log.Warn("test clock in use", "now", t)
	}
	var jumps func(ctx context.Context, wake func())
	if testClock != nil {
		clk, jumps = testClock(clk, log)
	}
	a, err := app.New(app.Options{
		ConfigPath: e.ConfigPath, DataDir: e.DataDir, Version: versionString(e),
		Logger: log, Clock: clk, OpenWindow: open,
	})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w (data directory %s)", errAlreadyRunning, e.DataDir)
	}
	if errors.Is(err, store.ErrDamaged) {
		log.Error("the store is damaged; run `sluice store recover`", "err", err)
		return fmt.Errorf("%w\n%s", err, damagedHint(paths.Store(e.DataDir)))
	}
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			return fmt.Errorf("the config has errors; fix them and start again (check with `sluice config check`):\n%w", err)
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go reloadOnHangup(ctx, a, log)
	if jumps != nil {
		go jumps(ctx, a.Wake)
	}
	if Desktop != nil && open != nil {
		return Desktop(e, a, log)
	}
	return a.Run(ctx)
}

// newLogger makes the text logger; the level comes from the flag, else
// the config (read leniently: a broken config is reported elsewhere).
func newLogger(w io.Writer, level, configPath string) *slog.Logger {
	if level == "" {
		if c, err := config.Load(configPath); err == nil {
			level = c.General.LogLevel
		}
	}
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}
