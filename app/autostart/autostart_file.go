//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Disable removes the login entry (the XDG autostart file, or the macOS
// LaunchAgent); it is not an error if there is none. A Sluice that is
// running stays running until it is quit.
func Disable() error {
	path, err := Location()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
