//go:build !darwin && !windows

package autostart

import (
	"github.com/sluice-app/sluice/app/atomicfile"

	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// residentNames are the program names Executable looks for, best first.
var residentNames = []string{"sluice"}

// Location returns the XDG autostart entry's path:
// $XDG_CONFIG_HOME/autostart/app.sluice.Sluice.desktop, where
// XDG_CONFIG_HOME defaults to ~/.config (and is ignored unless absolute, as
// the base directory spec says).
func Location() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("autostart: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", ID+".desktop"), nil
}

// Enable writes the autostart entry that starts exe at login. It replaces
// an entry that is there, including one the user switched off in their
// desktop's startup settings.
func Enable(exe string) error {
	if err := checkPath(exe); err != nil {
		return err
	}
	execLine, err := desktopExec(exe)
	if err != nil {
		return err
	}
	path, err := Location()
	if err != nil {
		return err
	}
	entry := "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Sluice\n" +
		"Comment=Hold messages until your check-in times\n" +
		"Exec=" + execLine + "\n" +
		"Icon=" + ID + "\n" +
		"Terminal=false\n" +
		"StartupNotify=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
	if err := atomicfile.Write(path, []byte(entry), 0o644); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// Enabled reports whether Sluice starts at login: the entry exists and
// neither Hidden=true nor X-GNOME-Autostart-enabled=false (what GNOME's and
// other desktops' startup settings write to switch an entry off) is set.
func Enabled() (bool, error) {
	path, err := Location()
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	group := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if group != "[Desktop Entry]" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case key == "Hidden" && val == "true":
			return false, nil
		case key == "X-GNOME-Autostart-enabled" && val == "false":
			return false, nil
		}
	}
	return true, nil
}

// desktopReserved are the characters that force an Exec argument to be
// quoted (Desktop Entry Specification, "The Exec key").
const desktopReserved = " \t\n\"'\\><~|&;$*?#()`"

// desktopExec renders exe as the program of an Exec key. An argument with a
// reserved character is put in double quotes, inside which ", `, $ and \
// take a backslash; the value is then a string, whose own escaping doubles
// every backslash. A literal % is written %% so it is not a field code.
func desktopExec(exe string) (string, error) {
	if strings.Contains(exe, "=") {
		// The spec forbids "=" in the program's name or path, quoted or not.
		return "", fmt.Errorf("%w: %q contains \"=\"", ErrUnrepresentable, exe)
	}
	s := exe
	if strings.ContainsAny(exe, desktopReserved) {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range exe {
			switch r {
			case '"', '`', '$':
				b.WriteString(`\\`)
			case '\\':
				b.WriteString(`\\\`)
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
		s = b.String()
	}
	return strings.ReplaceAll(s, "%", "%%"), nil
}
