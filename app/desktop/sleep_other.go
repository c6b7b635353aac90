//go:build !linux

package desktop

import (
	"context"
	"log/slog"
)

// watchSleep has nothing to listen to outside Linux: the gate re-reads the
// clock at least once a minute, which catches a resume within a minute.
func watchSleep(ctx context.Context, _ string, _ *slog.Logger, _ func()) { <-ctx.Done() }
