package desktop

import (
	"golang.org/x/sys/windows/registry"

	"github.com/sluice-app/sluice/assets"
)

// systemPanel reads whether the taskbar is light (Windows 10 and 11 keep
// it in SystemUsesLightTheme; it is dark by default).
func systemPanel() assets.Panel {
	k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion\Themes\Personalize`, registry.QUERY_VALUE)
	if err != nil {
		return assets.DarkPanel
	}
	defer k.Close()
	if v, _, err := k.GetIntegerValue("SystemUsesLightTheme"); err == nil && v == 1 {
		return assets.LightPanel
	}
	return assets.DarkPanel
}
