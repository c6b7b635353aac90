//go:build !windows

package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluice-app/sluice/app"
)

// reloadOnHangup re-reads the config on SIGHUP.
func reloadOnHangup(ctx context.Context, a *app.App, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			log.Info("SIGHUP: reloading config")
			_ = a.Reload()
		}
	}
}

// processAlive reports whether the process pid still exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
