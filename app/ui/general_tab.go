package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

// notificationsTab switches each kind of notification.
func (s *settings) notificationsTab() fyne.CanvasObject {
	n := &s.cfg.Notifications
	check := func(label, explain string, v *bool) fyne.CanvasObject {
		c := newCheck(label, *v, func(on bool) {
			*v = on
			s.changed()
		})
		return container.NewVBox(c, note(explain))
	}
	return container.NewVScroll(container.NewPadded(section("Notifications",
		"Sluice stays quiet on purpose: one summary per check-in, and a notice for what breaks through.",
		check("Check-in summary", "“Check-in 11:00 — 23 messages: 5 mail, 18 Slack · 2 from VIPs”", &n.Checkin),
		check("Also when a check-in releases nothing", "“Check-in 16:00 — nothing new”", &n.Empty),
		check("Urgent items", "Each item that breaks through focus, with the rule that let it in.", &n.Urgent),
		check("Focus starts", "When a scheduled or manual focus block begins.", &n.FocusStart),
		check("Focus ends", "When a focus block is over.", &n.FocusEnd),
		check("Accounts that need you", "For example when a password stopped working.", &n.Attention),
	)))
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
