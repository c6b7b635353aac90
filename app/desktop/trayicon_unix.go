//go:build !darwin && !windows

package desktop

import (
	"fmt"

	"fyne.io/systray"

	"github.com/sluice-app/sluice/assets"
)

// initialTitle is the item's title when it is first put on the bus; panels
// key their memory of the item on it.
const initialTitle = "Sluice"

// setTrayIcon hands the panel one pixmap; 48 px stays sharp on HiDPI
// panels and scales down cleanly to the usual 22–24 px.
func setTrayIcon(i assets.Icon, p assets.Panel) { systray.SetIcon(assets.TrayPNG(i, p, 48)) }

// trayTitle is the StatusNotifierItem title: the held count where a panel
// shows titles (KDE does in the tooltip and the entries list).
func trayTitle(held int) string {
	if held == 0 {
		return "Sluice"
	}
	return fmt.Sprintf("Sluice · %d held", held)
}
