package desktop

import (
	"context"
	"errors"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/sluice-app/sluice/assets"
)

// personalizeKey holds SystemUsesLightTheme: 1 when the taskbar is light
// (Windows 10 1903 and later; Windows 11's default), 0 when it is dark.
const personalizeKey = `Software\Microsoft\Windows\CurrentVersion\Themes\Personalize`

var (
	user32          = windows.NewLazySystemDLL("user32.dll")
	uxtheme         = windows.NewLazySystemDLL("uxtheme.dll")
	procGetSysColor = user32.NewProc("GetSysColor")
	procThemeActive = uxtheme.NewProc("IsThemeActive")
)

// systemPanel tells whether the taskbar is light or dark: the user's
// SystemUsesLightTheme setting where it exists. Without it, Wine's taskbar
// and an unthemed (classic) one are painted in the 3D face colour (light
// grey by default); Windows 10 before 1903, themed, had a dark taskbar.
func systemPanel() assets.Panel {
	if light, ok := usesLightTheme(); ok {
		if light {
			return assets.LightPanel
		}
		return assets.DarkPanel
	}
	if onWine() || !themeActive() {
		return panelFor(sysColor(15)) // COLOR_3DFACE
	}
	return assets.DarkPanel
}

// onWine reports whether this process runs under Wine (its ntdll exports
// wine_get_version).
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func usesLightTheme() (light, ok bool) {
	k, err := registry.OpenKey(registry.CURRENT_USER, personalizeKey, registry.QUERY_VALUE)
	if err != nil {
		return false, false
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue("SystemUsesLightTheme")
	if err != nil {
		return false, false
	}
	return v == 1, true
}

func themeActive() bool {
	if procThemeActive.Find() != nil {
		return false
	}
	r, _, _ := procThemeActive.Call()
	return r != 0
}

// sysColor returns a system colour as 0x00BBGGRR.
func sysColor(index int) uint32 {
	if procGetSysColor.Find() != nil {
		return 0
	}
	r, _, _ := procGetSysColor.Call(uintptr(index))
	return uint32(r)
}

// panelFor says whether a glyph on colour c (0x00BBGGRR) should be drawn
// for a light panel or a dark one.
func panelFor(c uint32) assets.Panel {
	r, g, b := float64(c&0xff), float64(c>>8&0xff), float64(c>>16&0xff)
	if 0.299*r+0.587*g+0.114*b >= 128 {
		return assets.LightPanel
	}
	return assets.DarkPanel
}

// watchPanel calls changed whenever the user switches between the light
// and the dark taskbar, until ctx is done. Windows signals the change of
// the registry value; nothing is polled.
func watchPanel(ctx context.Context, changed func()) {
	k, err := registry.OpenKey(registry.CURRENT_USER, personalizeKey, registry.NOTIFY)
	if errors.Is(err, registry.ErrNotExist) {
		// No theme setting (Wine, old Windows 10): watch the key that
		// would hold it, so a setting that appears counts too.
		k, err = registry.OpenKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion`, registry.NOTIFY)
	}
	if err != nil {
		return
	}
	defer k.Close()
	ev, err := windows.CreateEvent(nil, 0, 0, nil)
	if err != nil {
		return
	}
	defer windows.CloseHandle(ev)
	stop, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return
	}
	defer windows.CloseHandle(stop)
	go func() {
		<-ctx.Done()
		windows.SetEvent(stop)
	}()
	const filter = windows.REG_NOTIFY_CHANGE_LAST_SET | windows.REG_NOTIFY_CHANGE_NAME
	for {
		if err := windows.RegNotifyChangeKeyValue(windows.Handle(k), true, filter, ev, true); err != nil {
			return
		}
		i, err := windows.WaitForMultipleObjects([]windows.Handle{ev, stop}, false, windows.INFINITE)
		if err != nil || i != windows.WAIT_OBJECT_0 {
			return
		}
		changed()
	}
}
