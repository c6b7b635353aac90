package ui

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.svg
var iconSVG []byte

var icon = fyne.NewStaticResource("sluice.svg", iconSVG)

// Icon is Sluice's app icon: a sluice gate holding back water.
func Icon() fyne.Resource { return icon }
