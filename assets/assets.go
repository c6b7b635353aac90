// Package assets holds Sluice's bundled images: the tray icon for each mode,
// drawn for light and for dark panels, in the forms each platform wants
// (PNG on Linux, ICO on Windows, black template PNGs on macOS), and the
// application icon (assets/app, drawn by packaging/render-icons.sh), which
// notifications carry.
//
// The SVG sources are in tray/svg; the rasters are rendered from them by
// render/ (its own module) and committed, so a build needs no renderer.
package assets

import (
	"embed"
	"fmt"
)

//go:embed tray/png/*.png tray/ico/*.ico tray/template/*.png app/*.png
var files embed.FS

// Icon names one tray icon, i.e. a state the tray can show.
type Icon string

// Tray icons, one per state the user should tell apart at a glance.
const (
	IconFocus    Icon = "focus"    // a focus block: only urgent items get through
	IconWindow   Icon = "window"   // a check-in window is open: items arrive live
	IconHolding  Icon = "holding"  // between check-ins: everything is held
	IconOffHours Icon = "offhours" // outside working hours (also vacation)
	IconPaused   Icon = "paused"   // the user paused Sluice: everything is live
	IconError    Icon = "error"    // a connector needs the user (e.g. login failed)
)

// Icons lists every tray icon, in the order a contact sheet shows them.
var Icons = []Icon{IconHolding, IconWindow, IconFocus, IconOffHours, IconPaused, IconError}

// Panel is the brightness of the panel the icon sits on.
type Panel uint8

// Panels. The glyph is dark on a light panel and light on a dark one.
const (
	LightPanel Panel = iota
	DarkPanel
)

func (p Panel) String() string {
	if p == DarkPanel {
		return "dark"
	}
	return "light"
}

// Panels lists both panel kinds.
var Panels = []Panel{LightPanel, DarkPanel}

// TraySizes are the pixel sizes of the tray PNGs.
var TraySizes = []int{16, 22, 24, 32, 48, 64}

// TemplateSizes are the pixel sizes of the macOS template images (16 pt at
// 1× and 2×).
var TemplateSizes = []int{16, 32}

// TrayPNG returns the tray icon for the panel at size px (one of
// TraySizes), or nil if there is none.
func TrayPNG(i Icon, p Panel, px int) []byte {
	return read(fmt.Sprintf("tray/png/%s-%s-%d.png", i, p, px))
}

// TrayICO returns the Windows icon file (16 to 64 px) for the panel, or
// nil if there is none.
func TrayICO(i Icon, p Panel) []byte {
	return read(fmt.Sprintf("tray/ico/%s-%s.ico", i, p))
}

// TrayTemplate returns the macOS template image (black and alpha; the
// system tints it for the menu bar) at size px (one of TemplateSizes), or
// nil if there is none.
func TrayTemplate(i Icon, px int) []byte {
	return read(fmt.Sprintf("tray/template/%s-%d.png", i, px))
}

// AppPNG returns the application icon at size px (16, 22, 24, 32, 48, 64,
// 128, 256 or 512), or nil if there is none.
func AppPNG(px int) []byte {
	return read(fmt.Sprintf("app/sluice-%d.png", px))
}

func read(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil
	}
	return b
}
