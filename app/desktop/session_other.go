//go:build !linux

package desktop

import (
	"context"
	"log/slog"
	"time"

	"github.com/sluice-app/sluice/assets"
)

// session stands in for Linux's session bus: on macOS and Windows the
// system always has a menu bar or notification area, notifications go
// through the platform's own service (no markup), and windows can always
// be shown.
type session struct{ log *slog.Logger }

func openSession(log *slog.Logger) (*session, error) { return &session{log: log}, nil }

func (s *session) close() {}

func (s *session) canNotify() bool { return true }

func hasDisplay() bool { return true }

func (s *session) trayHost() bool { return true }

func (s *session) watchTrayHost(func(present bool)) (stop func()) { return func() {} }

func (s *session) waitItemExported(context.Context, time.Duration) bool { return true }

func (s *session) readsMarkup() bool { return false }

func (s *session) panel() assets.Panel { return systemPanel() }

func (s *session) notify(n Note) error { return systemNotify(n) }
