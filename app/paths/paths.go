// Package paths resolves where Sluice keeps its files: the config file, the
// data directory (store, control socket, local inbox token) and the log
// directory. Flags and environment variables override the OS defaults.
package paths

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Env variables that override the defaults.
const (
	EnvConfig = "SLUICE_CONFIG"
	EnvData   = "SLUICE_DATA"
)

// Config returns the config file path: flag, else $SLUICE_CONFIG, else
// <UserConfigDir>/sluice/config.toml.
func Config(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv(EnvConfig); v != "" {
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "sluice", "config.toml")
}

// Data returns the data directory: flag, else $SLUICE_DATA, else the OS
// data directory ($XDG_DATA_HOME or ~/.local/share on Linux, Application
// Support on macOS, %LOCALAPPDATA% on Windows).
func Data(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv(EnvData); v != "" {
		return v
	}
	return filepath.Join(dataHome(), "sluice")
}

func dataHome() string {
	switch runtime.GOOS {
	case "windows":
		if v := os.Getenv("LOCALAPPDATA"); v != "" {
			return v
		}
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support")
		}
	default:
		if v := os.Getenv("XDG_DATA_HOME"); v != "" && filepath.IsAbs(v) {
			return v
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share")
		}
	}
	return "."
}

// Logs returns the directory for the log file of a desktop-started Sluice:
// $XDG_STATE_HOME/sluice (~/.local/state/sluice) on Linux, the user cache
// directory elsewhere.
func Logs() string {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		if v := os.Getenv("XDG_STATE_HOME"); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "sluice")
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "state", "sluice")
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "sluice", "logs")
}

// Store is the bbolt file in the data directory.
func Store(dataDir string) string { return filepath.Join(dataDir, "sluice.db") }

// LocalToken is the file holding the local inbox's bearer token.
func LocalToken(dataDir string) string { return filepath.Join(dataDir, "local-token") }

// UIBinaryName is the program that draws Sluice's windows. It is a separate
// binary so the resident process never links Fyne's OpenGL stack.
const UIBinaryName = "sluice-ui"

// UIBinary finds sluice-ui: next to the running executable first (an
// install or an unpacked archive), then on PATH.
func UIBinary() (string, error) {
	p, err := Sibling(UIBinaryName)
	if err != nil {
		return "", fmt.Errorf("%w (build it with `go build ./cmd/sluice-ui`)", err)
	}
	return p, nil
}

// ResidentBinary finds the sluice program, for the windows' "Start Sluice".
func ResidentBinary() (string, error) { return Sibling("sluice") }

// Sibling finds one of Sluice's programs: next to the running executable
// first (an install or an unpacked archive), then on PATH.
func Sibling(name string) (string, error) {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s was found neither next to this program nor on PATH", name)
	}
	return p, nil
}
