package desktop

import (
	"fyne.io/systray"

	"github.com/sluice-app/sluice/assets"
)

// initialTitle: the notification area has no titles; the count is in the
// tooltip.
const initialTitle = ""

// setTrayIcon hands Windows an ICO holding 16 to 64 px, from which it picks
// the size for the display's scaling.
func setTrayIcon(i assets.Icon, p assets.Panel) { systray.SetIcon(assets.TrayICO(i, p)) }

func trayTitle(int) string { return "" }
