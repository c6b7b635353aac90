//go:build windows

package cli

import (
	"context"
	"log/slog"

	"golang.org/x/sys/windows"

	"github.com/sluice-app/sluice/app"
)

// reloadOnHangup does nothing on Windows, which has no SIGHUP; use
// `sluice config reload`.
func reloadOnHangup(context.Context, *app.App, *slog.Logger) {}

// processAlive reports whether the process pid still runs.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		return false // gone (or never ours to wait for)
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == uint32(windows.WAIT_TIMEOUT)
}
