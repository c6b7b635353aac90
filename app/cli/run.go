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

func runDaemon(e *Env, args []string) error {
	fs := newFlags(e, "daemon")
	level := fs.String("log-level", "", "debug, info, warn or error (default: the config's general.log_level)")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	return serve(e, e.Stderr, *level, nil)
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
	return serve(e, w, "", e.Desktop)
}

// serve runs Sluice in this process until it is told to stop: the config
// is loaded once, the clock made once, and one signal context ends it.
// With a face (the desktop app's tray and windows) the face runs it;
// without one it runs headless.
func serve(e *Env, logTo io.Writer, level string, face func(ctx context.Context, a *app.App, log *slog.Logger) error) error {
	cc, cfgErr := config.LoadCompiled(e.ConfigPath)
	if level == "" && cfgErr == nil {
		level = cc.Config.General.LogLevel
	}
	log := newLogger(logTo, level)
	if cfgErr != nil {
		var ce config.Errors
		if errors.As(cfgErr, &ce) {
			return fmt.Errorf("the config has errors; fix them and start again (check with `sluice config check`):\n%w", cfgErr)
		}
		return cfgErr
	}
	clk, jumps, err := newClock(log)
	if err != nil {
		return err
	}
	a, err := app.New(app.Options{
		ConfigPath: e.ConfigPath, DataDir: e.DataDir, Version: versionString(e),
		Logger: log, Clock: clk, Config: &cc,
	})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w (data directory %s)", errAlreadyRunning, e.DataDir)
	}
	if errors.Is(err, store.ErrDamaged) {
		log.Error("the store is damaged; run `sluice store recover`", "err", err)
		return fmt.Errorf("%w\n%s", err, damagedHint(paths.Store(e.DataDir)))
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go reloadOnHangup(ctx, a, log)
	if jumps != nil {
		go jumps(ctx, a.Wake)
	}
	if face != nil {
		return face(ctx, a, log)
	}
	return a.Run(ctx)
}

// newClock is the clock Sluice runs on: the machine's, or for end-to-end
// tests one started at SLUICE_TEST_NOW, and in sluicetest builds one that
// jumps when told to (jumps runs that until its context ends).
func newClock(log *slog.Logger) (clk clock.Clock, jumps func(ctx context.Context, wake func()), err error) {
	clk = clock.Real{}
	if v := os.Getenv(EnvTestNow); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", EnvTestNow, err)
		}
		clk = clock.Offset{D: time.Until(t)}
		log.Warn("test clock in use", "now", t)
	}
	if testClock != nil {
		clk, jumps = testClock(clk, log)
	}
	return clk, jumps, nil
}

// newLogger makes the text logger at a level ("" or unknown: info).
func newLogger(w io.Writer, level string) *slog.Logger {
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
