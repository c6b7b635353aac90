package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/assets"
)

// D-Bus names Sluice looks at on the session bus.
const (
	watcherName   = "org.kde.StatusNotifierWatcher"
	notifyName    = "org.freedesktop.Notifications"
	notifyPath    = "/org/freedesktop/Notifications"
	portalName    = "org.freedesktop.portal.Desktop"
	portalPath    = "/org/freedesktop/portal/desktop"
	callTimeout   = 2 * time.Second
	envPanel      = "SLUICE_TRAY_PANEL" // "light" or "dark": overrides the guess
	noBusAddrHint = "DBUS_SESSION_BUS_ADDRESS is unset and no per-user bus socket exists"
)

// errNoBus means there is no session bus to talk to.
var errNoBus = errors.New("no session D-Bus")

// session is Sluice's own connection to the session bus. It tells whether
// a tray host (a StatusNotifierWatcher) exists, whether the notification
// server reads markup, and the desktop's colour scheme. The tray itself
// (fyne.io/systray) and beeep use the shared connection of godbus; this one
// is private so that closing either never breaks the other.
type session struct {
	conn *dbus.Conn
	log  *slog.Logger
}

// openSession connects to the session bus without ever auto-launching one
// (godbus would otherwise start a dbus-daemon through dbus-launch and leave
// it behind).
func openSession(log *slog.Logger) (*session, error) {
	conn, err := dialSession()
	if err != nil {
		return nil, err
	}
	return &session{conn: conn, log: log}, nil
}

// dialSession opens a private connection to the session bus, never
// auto-launching one.
func dialSession() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			return nil, fmt.Errorf("%w (%s)", errNoBus, noBusAddrHint)
		}
		return nil, fmt.Errorf("%w: %v", errNoBus, err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: authenticate: %v", errNoBus, err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: hello: %v", errNoBus, err)
	}
	return conn, nil
}

func (s *session) close() {
	if s != nil && s.conn != nil {
		s.conn.Close()
	}
}

// canNotify reports whether notifications can be shown at all.
func (s *session) canNotify() bool { return s != nil }

// hasDisplay reports whether a window could be shown (X11 or Wayland).
func hasDisplay() bool {
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// trayHost reports whether something owns the StatusNotifierWatcher name,
// i.e. whether a panel will show the tray icon.
func (s *session) trayHost() bool {
	if s == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var has bool
	err := s.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	if err != nil {
		s.log.Warn("cannot ask the session bus for a tray host", "err", err)
		return false
	}
	return has
}

// watchTrayHost calls fn(true) when a tray host appears and fn(false) when
// it goes, until stop is called.
func (s *session) watchTrayHost(fn func(present bool)) (stop func()) {
	if s == nil {
		return func() {}
	}
	opts := []dbus.MatchOption{
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	}
	if err := s.conn.AddMatchSignal(opts...); err != nil {
		s.log.Warn("cannot watch for a tray host", "err", err)
		return func() {}
	}
	ch := make(chan *dbus.Signal, 8)
	s.conn.Signal(ch)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig, ok := <-ch:
				if !ok {
					return
				}
				if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
					continue
				}
				if name, _ := sig.Body[0].(string); name != watcherName {
					continue
				}
				owner, _ := sig.Body[2].(string)
				fn(owner != "")
			}
		}
	}()
	return func() {
		close(done)
		s.conn.RemoveSignal(ch)
		s.conn.RemoveMatchSignal(opts...)
	}
}

// waitItemExported waits until the tray item's properties are on the bus.
// fyne.io/systray derives the item's Id (which panels use to remember
// whether to show it) from the title at that moment, so the title may only
// change, to carry the held count, after that.
func (s *session) waitItemExported(ctx context.Context, limit time.Duration) bool {
	if s == nil {
		return false
	}
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid())
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, callTimeout)
		var id dbus.Variant
		err := s.conn.Object(name, "/StatusNotifierItem").CallWithContext(c, "org.freedesktop.DBus.Properties.Get", 0,
			"org.kde.StatusNotifierItem", "Id").Store(&id)
		cancel()
		if err == nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// readsMarkup asks the notification server whether it reads the body as
// markup. If it cannot tell, it assumes so: an escaped "&amp;" shown as is
// is a smaller harm than a body that vanishes.
func (s *session) readsMarkup() bool {
	if s == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var caps []string
	err := s.conn.Object(notifyName, notifyPath).CallWithContext(ctx, notifyName+".GetCapabilities", 0).Store(&caps)
	if err != nil {
		return true
	}
	return slices.Contains(caps, "body-markup")
}

// panel guesses whether the tray sits on a light or a dark panel: the
// SLUICE_TRAY_PANEL variable if set, else the desktop portal's colour
// scheme; dark when nothing says otherwise (GNOME's top bar, and most
// panels, are dark).
func (s *session) panel() assets.Panel {
	switch strings.ToLower(os.Getenv(envPanel)) {
	case "light":
		return assets.LightPanel
	case "dark":
		return assets.DarkPanel
	}
	if s == nil {
		return assets.DarkPanel
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var v dbus.Variant
	err := s.conn.Object(portalName, portalPath).CallWithContext(ctx, "org.freedesktop.portal.Settings.Read", 0,
		"org.freedesktop.appearance", "color-scheme").Store(&v)
	if err != nil {
		return assets.DarkPanel
	}
	// Read wraps the value in a second variant.
	if inner, ok := v.Value().(dbus.Variant); ok {
		v = inner
	}
	if scheme, ok := v.Value().(uint32); ok && scheme == 2 { // 2: prefer light
		return assets.LightPanel
	}
	return assets.DarkPanel
}

// notify shows n over the session bus (send), escaping the body for
// servers that read markup. The summary is plain text by the
// specification, and servers escape it themselves.
func (s *session) notify(n Note) error {
	_, err := s.send(n)
	return err
}
