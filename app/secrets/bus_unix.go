//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package secrets

import (
	"fmt"
	"os"
	"path/filepath"
)

// busReachable says whether go-keyring's Secret Service client will find a
// session bus. Without one, godbus (under go-keyring) runs dbus-launch, which
// starts a private dbus-daemon (and the bus may start a keyring daemon) that
// outlive the command: each `sluice account set-password` outside a desktop
// session left such processes behind. So the keyring is not tried then, and
// the error says what to do instead.
//
// The places looked at are godbus's own: DBUS_SESSION_BUS_ADDRESS, then
// /run/user/<uid>/bus and /run/user/<uid>/dbus-session.
func busReachable() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(userRunDir(), name)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); "+
		"run this inside your desktop session, or give the account a password_command", ErrNoKeyring)
}

// userRunDir is where godbus looks for a session bus it was not told about
// (a variable for tests).
var userRunDir = func() string { return fmt.Sprintf("/run/user/%d", os.Getuid()) }
