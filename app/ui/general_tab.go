package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

// notificationsTab switches each kind of notification, and says how
// other apps' notifications are held on this desktop.
func (s *settings) notificationsTab() fyne.CanvasObject {
	n := &s.cfg.Notifications
	check := func(label, explain string, v *bool) fyne.CanvasObject {
		c := newCheck(label, *v, func(on bool) {
			*v = on
			s.changed()
		})
		return container.NewVBox(c, note(explain))
	}
	return container.NewVScroll(container.NewPadded(container.NewVBox(
		section("Notifications",
			"Sluice stays quiet on purpose: one summary per check-in, and a notice for what breaks through.",
			// Two columns, so that what follows is in sight.
			container.NewGridWithColumns(2,
				check("Check-in summary", "“Check-in 11:00 — 23 messages: 5 mail, 18 Slack · 2 from VIPs”", &n.Checkin),
				check("Also when a check-in releases nothing", "“Check-in 16:00 — nothing new”", &n.Empty),
				check("Urgent items", "Each item that breaks through focus, with the rule that let it in.", &n.Urgent),
				check("Accounts that need you", "For example when a password stopped working.", &n.Attention),
				check("Focus starts", "When a scheduled or manual focus block begins.", &n.FocusStart),
				check("Focus ends", "When a focus block is over.", &n.FocusEnd),
			),
		),
		widget.NewSeparator(),
		s.otherAppsSection(),
	)))
}

// Choices of hold_other_apps as the windows word them.
var holdChoices = []struct{ value, label string }{
	{config.HoldFocus, "During focus blocks and meetings"},
	{config.HoldHolding, "Whenever Sluice holds (focus, meetings, between check-ins, off-hours)"},
	{config.HoldOff, "Never: other apps notify as usual"},
}

// holdRadio chooses hold_other_apps.
func holdRadio(value string, fn func(string)) *widget.RadioGroup {
	var labels []string
	selected := ""
	for _, c := range holdChoices {
		labels = append(labels, c.label)
		if c.value == value {
			selected = c.label
		}
	}
	r := widget.NewRadioGroup(labels, nil)
	r.Required = true
	r.SetSelected(selected)
	r.OnChanged = func(label string) {
		for _, c := range holdChoices {
			if c.label == label {
				fn(c.value)
			}
		}
	}
	return r
}

// desktopWords says in a few lines what this desktop does: what Sluice
// found, what happens to other apps' notifications, how urgent items get
// through, and what the user can do.
func desktopWords(d *control.Desktop) []fyne.CanvasObject {
	if d == nil {
		return []fyne.CanvasObject{note("This Sluice runs headless (sluice daemon) and leaves the desktop alone; " +
			"the desktop app (sluice) holds other apps.")}
	}
	summary := widget.NewLabel(plainArrows(d.Summary))
	summary.Wrapping = fyne.TextWrapWord
	rows := []fyne.CanvasObject{widget.NewLabel("This desktop"), summary}
	for _, r := range []struct{ label, text string }{
		{"Meanwhile", d.Waiting}, {"Urgent items", d.Urgent}, {"What you can do", d.Advice},
	} {
		if r.text != "" {
			rows = append(rows, widget.NewLabel(r.label), note(plainArrows(r.text)))
		}
	}
	out := []fyne.CanvasObject{container.New(layout.NewFormLayout(), rows...)}
	if d.Problem != "" {
		p := errorLabel()
		setError(p, "Last problem: "+d.Problem)
		out = append(out, p)
	}
	return out
}

// otherAppsSection chooses when other apps are held, shows what this
// desktop does, and lets the user record chosen apps' notifications.
func (s *settings) otherAppsSection() fyne.CanvasObject {
	d := &s.cfg.Desktop
	radio := holdRadio(d.HoldOtherApps, func(v string) {
		d.HoldOtherApps = v
		s.changed()
	})
	objs := []fyne.CanvasObject{radio, s.fe.slot("desktop.hold_other_apps")}
	objs = append(objs, desktopWords(s.status.Desktop)...)
	if runtime.GOOS == "darwin" {
		on, off := widget.NewEntry(), widget.NewEntry()
		on.SetText(d.ShortcutOn)
		off.SetText(d.ShortcutOff)
		on.OnChanged = func(v string) { d.ShortcutOn = strings.TrimSpace(v); s.changed() }
		off.OnChanged = func(v string) { d.ShortcutOff = strings.TrimSpace(v); s.changed() }
		objs = append(objs, labelled("Shortcut for on", on), labelled("Shortcut for off", off))
	}
	sections := []fyne.CanvasObject{section("Other apps",
		"While Sluice holds, it can put your desktop into do-not-disturb, so other apps' notifications wait for the "+
			"check-in too. At each check-in it lifts it first, then sends its summary. It never lifts a do-not-disturb you set yourself.",
		objs...)}
	if st := s.status.Desktop; st != nil && st.CanCapture {
		sections = append(sections, widget.NewSeparator(), s.captureSection(st.Apps))
	}
	return container.NewVBox(sections...)
}

// captureSection asks for consent to watch other apps' notifications and
// lists the apps seen, each with a switch.
func (s *settings) captureSection(apps []control.DesktopApp) fyne.CanvasObject {
	d := &s.cfg.Desktop
	list := container.NewVBox()
	chosen := func(name string) bool {
		for _, a := range d.CaptureApps {
			if strings.EqualFold(strings.TrimSpace(a), name) {
				return true
			}
		}
		return false
	}
	names := map[string]string{}
	for _, a := range apps {
		when := ""
		if !a.LastSeen.IsZero() {
			when = fmt.Sprintf(" · %s, last %s", plural(a.Count, "notification", "notifications"), whenText(a.LastSeen, s.u.now(), statusZone(s.status)))
		}
		names[a.Name] = a.Name + when
	}
	for _, a := range d.CaptureApps {
		if a = strings.TrimSpace(a); a != "" {
			if _, ok := names[a]; !ok {
				names[a] = a + " · not seen yet"
			}
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	for _, name := range keys {
		list.Add(newCheck(names[name], chosen(name), func(on bool) {
			apps := d.CaptureApps[:0:0]
			for _, a := range d.CaptureApps {
				if !strings.EqualFold(strings.TrimSpace(a), name) {
					apps = append(apps, a)
				}
			}
			if on {
				apps = append(apps, name)
			}
			d.CaptureApps = apps
			s.changed()
		}))
	}
	if len(keys) == 0 {
		list.Add(note("No app seen yet: apps appear here once they send a notification while Sluice holds."))
	}
	if !d.Capture {
		list.Hide()
	}
	consent := newCheck("Record the chosen apps' notifications as Sluice items while holding", d.Capture, func(on bool) {
		d.Capture = on
		if on {
			list.Show()
		} else {
			list.Hide()
		}
		s.changed()
	})
	return section("Other apps in the digest",
		"With your consent, Sluice watches other apps' notifications on the session bus while it holds them. "+
			"Those of the apps you tick become items: the check-in counts them (“6 from other apps”), the digest lists "+
			"them, and your rules apply (a VIP can be a chat app's sender). Nothing is watched while Sluice does not hold.",
		consent, list, s.fe.slot("desktop.capture_apps"))
}

// generalTab holds start at login, the data folder, retention, logging
// and export.
func (s *settings) generalTab() fyne.CanvasObject {
	g := &s.cfg.General
	login := newCheck("Start Sluice when I log in", g.StartAtLogin, func(on bool) {
		s.cfg.General.StartAtLogin = on
		s.changed()
	})

	days := widget.NewEntry()
	days.SetText(strconv.Itoa(int(g.Retention.Duration / (24 * time.Hour))))
	days.OnChanged = func(v string) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			s.setParse("general.retention", fmt.Sprintf("%q is not a number of days", v))
		} else {
			s.setParse("general.retention", "")
			s.cfg.General.Retention = schedule.Duration{Duration: time.Duration(n) * 24 * time.Hour}
		}
		s.changed()
	}
	levels := []string{"debug", "info", "warn", "error"}
	level := newSelect(levels, g.LogLevel, func(v string) {
		s.cfg.General.LogLevel = v
		s.changed()
	})

	data := s.status.Data
	dataLabel := oneLine(shortPath(data))
	openData := widget.NewButtonWithIcon("Open", theme.FolderOpenIcon(), func() {
		u := &url.URL{Scheme: "file", Path: filepath.ToSlash(data)}
		if err := s.u.openURL(u.String()); err != nil {
			dialog.ShowError(err, s.w.win)
		}
	})
	if data == "" {
		openData.Disable()
	}
	cfgLabel := oneLine(shortPath(s.status.Config))
	export := widget.NewButtonWithIcon("Export items…", theme.DownloadIcon(), s.export)

	return container.NewVScroll(container.NewPadded(container.NewVBox(
		section("Startup", "", login, s.fe.slot("general.start_at_login")),
		widget.NewSeparator(),
		section("Storage", "Items marked done are kept for a while (for `sluice explain` and the stats), then deleted.",
			labelled("Keep done items for", container.NewHBox(fixedWidth(70, days), widget.NewLabel("days"))),
			s.fe.slot("general.retention"),
			labelled("Data folder", container.NewBorder(nil, nil, nil, openData, dataLabel)),
			labelled("Settings file", cfgLabel),
		),
		widget.NewSeparator(),
		section("Export", "Every item (held, released and done) as JSON lines, with the decision log of each.", container.NewHBox(export)),
		widget.NewSeparator(),
		section("Logging", "", labelled("Log level", level), s.fe.slot("general.log_level")),
	)))
}

// export writes every item as JSON lines to a file the user picks.
func (s *settings) export() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		var n int
		s.w.call(func(ctx context.Context) error {
			defer w.Close()
			enc := json.NewEncoder(w)
			for _, st := range []model.State{model.StateHeld, model.StateReleased, model.StateDone} {
				err := s.u.c.Each(ctx, st, "", func(it model.Item) error {
					n++
					return enc.Encode(it)
				})
				if err != nil {
					return err
				}
			}
			return nil
		}, func(err error) {
			if err != nil {
				dialog.ShowError(fmt.Errorf("export: %w", err), s.w.win)
				return
			}
			s.info.SetText(fmt.Sprintf("Exported %s to %s.", plural(n, "item", "items"), w.URI().Name()))
		})
	}, s.w.win)
	d.SetFileName("sluice-items-" + s.u.now().Format("2006-01-02") + ".jsonl")
	d.Show()
}
