//go:build !darwin || cgo

package desktop

import (
	"fmt"
	"reflect"
	"time"

	"fyne.io/systray"

	"github.com/sluice-app/sluice/assets"
)

// trayAvailable reports whether this build can show a tray icon at all.
const trayAvailable = true

// uiRecheck is how often the tray looks for sluice-ui while it is missing.
const uiRecheck = 3 * time.Second

// settle is how long the tray waits after a change before redrawing, so a
// burst of events (a hundred items ingested) costs one redraw.
const settle = 150 * time.Millisecond

// runTray shows the tray icon and blocks until quitTray is called. It must
// run on the main goroutine (macOS draws the menu bar there) and at most
// once per process: fyne.io/systray cannot start again after it quits.
func (d *desktop) runTray() {
	defer d.recoverTray("run")
	panel := d.sess.panel()
	// The item's Id is taken from the title when it is first put on the
	// bus; keep it stable so panels remember the user's choice to show it.
	if initialTitle != "" {
		systray.SetTitle(initialTitle)
	}
	// fyne.io/systray (issue 35 upstream) runs onReady while it puts the
	// item on the bus: an icon set in onReady between the moment it reads
	// the properties and the moment it keeps them for later calls is
	// remembered but never shown, and the panel draws an empty item. Set
	// before Run, the first icon and tooltip are in the properties it
	// exports; loop sets them again once the item is on the bus.
	first := render(d.snapshot(), func(int) string { return initialTitle })
	setTrayIcon(first.Icon, panel)
	systray.SetTooltip(first.Tooltip)
	systray.Run(func() {
		defer d.recoverTray("start")
		t := &trayDrawer{d: d, panel: panel}
		t.apply(first)
		d.a.SetTray("shown")
		d.a.ClearNotices(noTrayNotice)
		d.log.Info("tray icon shown", "panel", panel)
		go t.loop()
	}, func() {
		d.log.Debug("tray removed")
	})
}

// quitTray removes the tray icon, making runTray return.
func (d *desktop) quitTray() {
	defer d.recoverTray("quit")
	systray.Quit()
}

// recoverTray keeps a panic inside fyne.io/systray (v1.12 dereferenced a
// nil bus connection when quitting without a session bus) from taking the
// gate and the store down with it.
func (d *desktop) recoverTray(what string) {
	if r := recover(); r != nil {
		d.log.Error("tray failed; Sluice keeps running without it", "during", what, "panic", fmt.Sprint(r))
		d.a.SetTray("unavailable: the tray failed (" + fmt.Sprint(r) + ")")
	}
}

// trayDrawer owns every systray call after start-up; it runs on one
// goroutine and redraws from a fresh snapshot whenever the desktop marks
// the tray dirty.
type trayDrawer struct {
	d       *desktop
	panel   assets.Panel
	last    view
	drawn   bool
	titleOK bool // the item is on the bus, so the title may carry the count
	// iconStale: the panel changed brightness, so the icon is redrawn
	// even if the mode did not change.
	iconStale bool
}

func (t *trayDrawer) loop() {
	defer t.d.recoverTray("redraw")
	d := t.d
	if d.sess.waitItemExported(d.ctx, 10*time.Second) {
		t.titleOK = true
		t.apply(render(d.snapshot(), trayTitle))
	}
	// Once, a moment after the item is on the bus, set icon, title and
	// tooltip again whether or not they changed: a call that fell into
	// fyne.io/systray's start-up window (see runTray) was not shown.
	reassert := time.NewTimer(time.Second)
	defer reassert.Stop()
	midnight := time.NewTimer(untilMidnight(d.now(), d.zone()))
	defer midnight.Stop()
	// While sluice-ui is missing, look for it again every few seconds, so
	// that "Open digest…" and "Settings…" come alive once it is installed
	// (fyne.io/systray tells nobody when its menu opens). Once found, no
	// timer runs.
	recheck := time.NewTimer(uiRecheck)
	defer recheck.Stop()
	if t.last.Windows || d.opt.Windows == nil {
		recheck.Stop()
	}
	panels := make(chan struct{}, 1)
	go watchPanel(d.ctx, func() {
		select {
		case panels <- struct{}{}:
		default:
		}
	})
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-midnight.C:
			// "Mon 09:00" becomes "09:00" when the day turns.
			midnight.Reset(untilMidnight(d.now(), d.zone()))
		case <-reassert.C:
			t.iconStale, t.last.Title, t.last.Tooltip = true, "", ""
		case <-recheck.C:
		case <-panels:
			// The user switched the taskbar between light and dark.
			if p := d.sess.panel(); p != t.panel {
				t.panel, t.iconStale = p, true
			}
		case <-d.dirty:
			// Let a burst settle, then draw once.
			settleT := time.NewTimer(settle)
			select {
			case <-d.ctx.Done():
				settleT.Stop()
				return
			case <-settleT.C:
			}
		}
		title := func(int) string { return initialTitle }
		if t.titleOK {
			title = trayTitle
		}
		t.apply(render(d.snapshot(), title))
		if !t.last.Windows && d.opt.Windows != nil {
			recheck.Reset(uiRecheck)
		}
	}
}

// apply draws v, touching only what changed since the last draw; the menu
// is rebuilt whole from the snapshot rather than patched item by item.
func (t *trayDrawer) apply(v view) {
	if !t.drawn || t.iconStale || v.Icon != t.last.Icon {
		setTrayIcon(v.Icon, t.panel)
		t.iconStale = false
	}
	if !t.drawn || v.Title != t.last.Title {
		systray.SetTitle(v.Title)
	}
	if !t.drawn || v.Tooltip != t.last.Tooltip {
		systray.SetTooltip(v.Tooltip)
	}
	if !t.drawn || !reflect.DeepEqual(v.Menu, t.last.Menu) {
		if t.drawn {
			systray.ResetMenu()
		}
		t.build(v.Menu, nil)
	}
	t.last, t.drawn = v, true
}

func (t *trayDrawer) build(entries []entry, parent *systray.MenuItem) {
	for _, e := range entries {
		if e.Separator {
			if parent == nil {
				systray.AddSeparator()
			} else {
				parent.AddSeparator()
			}
			continue
		}
		var item *systray.MenuItem
		if parent == nil {
			item = systray.AddMenuItem(e.Label, e.Tooltip)
		} else {
			item = parent.AddSubMenuItem(e.Label, e.Tooltip)
		}
		if !e.Enabled {
			item.Disable()
		}
		if len(e.Children) > 0 {
			t.build(e.Children, item)
		}
		if e.Action != "" {
			// fyne.io/systray drops a click unless someone is receiving
			// at that moment; the channel closes when the next rebuild
			// removes the item, which ends this goroutine.
			go func(clicks <-chan struct{}, a action) {
				for range clicks {
					t.d.click(a)
				}
			}(item.ClickedCh, e.Action)
		}
	}
}
