package desktop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	toast "git.sr.ht/~jackmordaunt/go-toast"
	"golang.org/x/sys/windows/registry"

	"github.com/sluice-app/sluice/assets"
)

// AppUserModelID is Sluice's application identity on Windows. Toasts carry
// it; the installer's Start menu shortcut declares it
// (System.AppUserModel.ID) and registers its name and icon under
// HKCU\Software\Classes\AppUserModelId, which is what Windows 10 and 11
// show above each toast and in the notification centre.
const AppUserModelID = "app.sluice.Sluice"

// aumidKey is where Windows looks up the name and icon of an unpackaged
// app's AppUserModelID.
const aumidKey = `Software\Classes\AppUserModelId\` + AppUserModelID

var (
	toastSetup sync.Once
	toastIcon  string
)

// systemNotify shows n as a Windows 10/11 toast (the Windows Runtime
// notification API, through go-toast, as beeep's modern path does), under
// Sluice's name and icon. Urgent items make the default sound and stay
// longer; the rest are silent.
func systemNotify(n Note) error {
	if onWine() {
		// Wine (checked with 8.0) lacks the Windows Runtime's toasts, and
		// a process whose toast call failed half way there can no longer
		// exit.
		return errNoToasts
	}
	toastSetup.Do(func() { toastIcon = registerApp() })
	t := toast.Notification{
		AppID:    AppUserModelID,
		Title:    n.Title,
		Body:     n.Body,
		Icon:     toastIcon,
		Audio:    toast.Silent,
		Duration: toast.Short,
	}
	if n.Urgent {
		t.Audio, t.Duration = toast.Default, toast.Long
	}
	done := make(chan error, 1)
	go func() { done <- t.Push() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("toast: %w", err)
		}
		return nil
	case <-time.After(toastTimeout):
		// The call is left to finish on its own; Sluice must not wait
		// on it to show the next notification or to quit.
		return fmt.Errorf("toast: no answer from Windows within %s", toastTimeout)
	}
}

// errNoToasts: the system shows no toasts.
var errNoToasts = errors.New("toasts are not available under Wine")

// toastTimeout bounds one toast. Windows answers in well under a second;
// a system without the Windows Runtime's toasts (Wine 8.0, for one) may
// never answer.
const toastTimeout = 10 * time.Second

// registerApp makes sure Windows knows Sluice's display name and icon for
// its AppUserModelID (the installer does so; a copy run from a folder
// does it here) and returns the icon's path for the toast. Values the
// installer wrote are kept.
func registerApp() string {
	icon := appIconFile()
	k, _, err := registry.CreateKey(registry.CURRENT_USER, aumidKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return icon
	}
	defer k.Close()
	if _, _, err := k.GetStringValue("DisplayName"); errors.Is(err, registry.ErrNotExist) {
		k.SetStringValue("DisplayName", "Sluice")
	}
	if v, _, err := k.GetStringValue("IconUri"); err == nil && v != "" {
		if _, err := os.Stat(v); err == nil {
			return v
		}
	}
	if icon != "" {
		k.SetStringValue("IconUri", icon)
	}
	return icon
}

// appIconFile is a PNG of the app icon on disk, as toasts need a file:
// the one installed next to sluice.exe, else a copy in the user's cache.
func appIconFile() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "sluice.png")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	p := filepath.Join(dir, "sluice", "sluice-64.png")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return ""
	}
	if err := os.WriteFile(p, assets.AppPNG(64), 0o600); err != nil {
		return ""
	}
	return p
}
