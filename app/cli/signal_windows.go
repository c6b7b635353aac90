//go:build windows

package cli

import (
	"context"
	"log/slog"

	"github.com/sluice-app/sluice/app"
)

// reloadOnHangup does nothing on Windows, which has no SIGHUP; use
// `sluice config reload`.
func reloadOnHangup(context.Context, *app.App, *slog.Logger) {}
