package autostart

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// residentNames are the program names Executable looks for, best first:
// sluicew.exe is the GUI-subsystem build (-ldflags -H=windowsgui), which
// opens no console window when Windows starts it at login.
var residentNames = []string{"sluicew.exe", "sluice.exe"}

const (
	runKey = `Software\Microsoft\Windows\CurrentVersion\Run`
	// approvedKey is where Task Manager's Startup tab records that the
	// user switched an entry off (first byte odd) without deleting it.
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
	valueName   = "Sluice"
)

// Location names the registry value that starts Sluice.
func Location() (string, error) {
	return `HKCU\` + runKey + `\` + valueName, nil
}

// Enable sets the Run value to the quoted program path, and clears a
// "disabled" mark Task Manager may have left, so that switching start at
// login on in Sluice really switches it on.
func Enable(exe string) error {
	if err := checkPath(exe); err != nil {
		return err
	}
	if strings.Contains(exe, `"`) {
		return fmt.Errorf("%w: %q contains a double quote", ErrUnrepresentable, exe)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("autostart: open %s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(valueName, `"`+exe+`"`); err != nil {
		return fmt.Errorf("autostart: set %s: %w", valueName, err)
	}
	if err := deleteValue(approvedKey); err != nil {
		return err
	}
	return nil
}

// Disable deletes the Run value (and Task Manager's mark for it); it is
// not an error if there is none.
func Disable() error {
	if err := deleteValue(runKey); err != nil {
		return err
	}
	return deleteValue(approvedKey)
}

// Enabled reports whether the Run value exists and Task Manager has not
// switched it off.
func Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: open %s: %w", runKey, err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(valueName); errors.Is(err, registry.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("autostart: read %s: %w", valueName, err)
	}
	a, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.QUERY_VALUE)
	if err != nil {
		return true, nil // no StartupApproved key: nothing switched off
	}
	defer a.Close()
	if b, _, err := a.GetBinaryValue(valueName); err == nil && len(b) > 0 && b[0]&1 == 1 {
		return false, nil
	}
	return true, nil
}

func deleteValue(key string) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("autostart: open %s: %w", key, err)
	}
	defer k.Close()
	if err := k.DeleteValue(valueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("autostart: delete %s: %w", valueName, err)
	}
	return nil
}
