package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// notRunningPanel replaces a window's content while Sluice does not answer:
// it says so plainly and offers to start it, instead of an error or an
// empty window.
func notRunningPanel(w *window) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Sluice is not running", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	// Short lines, no wrapping: a wrapped label in a centred box can be
	// measured before it knows its width, and then overlaps the buttons.
	text := widget.NewLabel("This window shows what the running Sluice holds.\nStart Sluice and it fills in.")
	text.Alignment = fyne.TextAlignCenter
	msg := errorLabel()
	msg.Alignment = fyne.TextAlignCenter

	var start, retry *widget.Button
	start = widget.NewButtonWithIcon("Start Sluice", theme.MediaPlayIcon(), func() {
		start.Disable()
		start.SetText("Starting…")
		setError(msg, "")
		w.u.run.Go(func() func() {
			err := w.u.startSluice()
			return func() {
				start.Enable()
				start.SetText("Start Sluice")
				if err != nil {
					setError(msg, "Could not start Sluice: "+err.Error())
					return
				}
				w.down = false
				w.win.SetContent(w.body)
				w.load()
			}
		})
	})
	start.Importance = widget.HighImportance
	retry = widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() {
		setError(msg, "")
		w.load()
	})
	icon := widget.NewIcon(theme.InfoIcon())
	iconBox := container.NewCenter(container.NewGridWrap(fyne.NewSize(48, 48), icon))
	body := container.NewVBox(
		iconBox, title, text,
		container.NewCenter(container.NewHBox(start, retry)),
		msg,
	)
	w.u.trace(w.name + " not running")
	return container.NewCenter(container.NewPadded(fixedWidth(420, body)))
}
