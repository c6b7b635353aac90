//go:build barefyne

// Command barefyne is the reference for packaging/measure/idle.sh: the
// smallest resident Fyne app, one window created, shown once and hidden,
// doing nothing. It is what the resident sluice process would cost if it
// ran the tray through Fyne instead of fyne.io/systray.
//
//	go build -tags barefyne ./packaging/measure/barefyne
package main

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("app.sluice.measure.barefyne")
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("idle"))
	w.Show()
	go func() {
		time.Sleep(time.Second)
		fyne.Do(w.Hide)
	}()
	a.Run()
}
