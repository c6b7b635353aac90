package ui

import (
	"fyne.io/fyne/v2"

	"github.com/sluice-app/sluice/assets"
)

var icon = fyne.NewStaticResource("sluice.png", assets.AppPNG(256))

// Icon is Sluice's app icon (assets/app), for the windows and the desktop.
func Icon() fyne.Resource { return icon }
