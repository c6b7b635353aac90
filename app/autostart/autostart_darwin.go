package autostart

import (
	"github.com/sluice-app/sluice/app/atomicfile"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// residentNames are the program names Executable looks for, best first.
var residentNames = []string{"sluice"}

// Location returns the LaunchAgent's path:
// ~/Library/LaunchAgents/app.sluice.Sluice.plist.
func Location() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", ID+".plist"), nil
}

// Enable writes a LaunchAgent that launchd starts at the next login. The
// program should be the one inside Sluice.app (Contents/MacOS/sluice): the
// bundle's Info.plist sets LSUIElement, which keeps the resident process
// out of the Dock; a bare binary would get a Dock icon.
func Enable(exe string) error {
	if err := checkPath(exe); err != nil {
		return err
	}
	path, err := Location()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, launchAgent(exe), 0o644); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// Enabled reports whether the LaunchAgent exists.
func Enabled() (bool, error) {
	path, err := Location()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return true, nil
}
