//go:build darwin && !cgo

package desktop

// trayAvailable is false: on macOS fyne.io/systray needs cgo (Cocoa), and
// this build has none. Sluice then runs as it does on a desktop without a
// tray: notifications, and the digest when launched again.
const trayAvailable = false

func (d *desktop) runTray() {}

func (d *desktop) quitTray() {}

const initialTitle = ""

func trayTitle(int) string { return "" }
