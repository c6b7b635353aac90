// Package autostart makes Sluice's resident process start when the user logs
// in, and stops it doing so. Each OS has its own mechanism, in its own file:
// an XDG autostart entry on Linux and the BSDs, a LaunchAgent on macOS, the
// per-user Run key on Windows. All of them start the resident program with no
// arguments, which brings up the tray and the gate but opens no window.
//
// Only the current user's settings are touched; nothing needs privileges.
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ID names the autostart entry: the desktop file, the LaunchAgent label.
// It is Sluice's app ID, the one in FyneApp.toml.
const ID = "app.sluice.Sluice"

// Errors callers test for.
var (
	// ErrNotAbsolute: the program to start must be given by absolute path,
	// since a login session's PATH is not the shell's.
	ErrNotAbsolute = errors.New("the program to start at login must be an absolute path")
	// ErrUnrepresentable: the path has characters the OS mechanism cannot
	// carry (control characters anywhere; "=" in an XDG Exec program path).
	ErrUnrepresentable = errors.New("the program path cannot be written into a login item")
	// ErrNoResident: Executable found no sluice program next to the running one.
	ErrNoResident = errors.New("sluice program not found")
)

// Executable returns the program that autostart should start: the resident
// sluice binary in the running program's directory. Both the command line
// (sluice itself) and the settings window (sluice-ui, installed next to it)
// therefore register the same program. On Windows the GUI-subsystem build
// sluicew.exe is preferred, so that no console window opens at login.
func Executable() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("autostart: find the running program: %w", err)
	}
	return findResident(filepath.Dir(self))
}

// Set switches start at login on (for the program Executable finds) or
// off. It is what a settings switch calls.
func Set(on bool) error {
	if !on {
		return Disable()
	}
	exe, err := Executable()
	if err != nil {
		return err
	}
	return Enable(exe)
}

// findResident returns the first of residentNames that is a file in dir.
func findResident(dir string) (string, error) {
	for _, name := range residentNames {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no %s in %s", ErrNoResident, residentNames[len(residentNames)-1], dir)
}

// checkPath rejects what no login mechanism can start reliably.
func checkPath(exe string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("%w: %q", ErrNotAbsolute, exe)
	}
	for _, r := range exe {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q has a control character", ErrUnrepresentable, exe)
		}
	}
	return nil
}
