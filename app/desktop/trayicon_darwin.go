//go:build cgo

package desktop

import (
	"fmt"

	"fyne.io/systray"

	"github.com/sluice-app/sluice/assets"
)

// initialTitle: the menu bar shows the title next to the icon, so it stays
// empty until there is a count to show.
const initialTitle = ""

// setTrayIcon uses the black template image, which macOS tints for light
// and dark menu bars; the colour one is the fallback.
func setTrayIcon(i assets.Icon, p assets.Panel) {
	systray.SetTemplateIcon(assets.TrayTemplate(i, 32), assets.TrayPNG(i, p, 32))
}

// trayTitle is drawn next to the icon in the menu bar: just the count.
func trayTitle(held int) string {
	if held == 0 {
		return ""
	}
	return fmt.Sprint(held)
}
