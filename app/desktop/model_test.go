package desktop

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/assets"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// labels lists an entry list's labels, separators as "----".
func entryLabels(es []entry) []string {
	var out []string
	for _, e := range es {
		if e.Separator {
			out = append(out, "----")
			continue
		}
		out = append(out, e.Label)
	}
	return out
}

func findEntry(es []entry, prefix string) (entry, bool) {
	for _, e := range es {
		if !e.Separator && strings.HasPrefix(e.Label, prefix) {
			return e, true
		}
		if f, ok := findEntry(e.Children, prefix); ok {
			return f, true
		}
	}
	return entry{}, false
}

func TestRenderMenuFromSnapshot(t *testing.T) {
	loc := berlin(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, loc) // a Monday
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	plain := func(held int) string { return "Sluice" }
	authFailed := model.Health{Account: "Work mail", State: model.HealthAuthFailed, Detail: "login failed: bad password"}

	for _, tc := range []struct {
		name    string
		st      gate.Status
		windows bool
		icon    assets.Icon
		labels  []string
		check   func(t *testing.T, v view)
	}{
		{
			name: "holding", windows: true, icon: assets.IconHolding,
			st: gate.Status{Mode: model.ModeBetween, Held: 14, NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin"},
			labels: []string{"Holding · 14 held · next check-in 16:00", "----", "Check in now (14)", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				f, _ := findEntry(v.Menu, "Focus")
				if got := entryLabels(f.Children); !slices.Equal(got, []string{"25 minutes", "50 minutes", "90 minutes", "Until next check-in (16:00)"}) {
					t.Errorf("focus submenu %q", got)
				}
				if s, _ := findEntry(v.Menu, "Holding"); s.Enabled || s.Action != "" {
					t.Error("status line is clickable")
				}
				if d, _ := findEntry(v.Menu, "Open digest"); !d.Enabled {
					t.Error("digest disabled although windows are available")
				}
			},
		},
		{
			name: "focus", windows: true, icon: assets.IconFocus,
			st: gate.Status{Mode: model.ModeFocus, Until: at(23, 12, 50), Held: 3, NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin", ManualFocus: true},
			labels: []string{"Focus until 12:50 · 3 held · next check-in 16:00", "----", "Check in now (3)", "Focus", "End focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				var f entry
				for _, e := range v.Menu {
					if e.Label == "Focus" {
						f = e
					}
				}
				want := []string{"25 minutes", "50 minutes", "90 minutes", "Until next check-in (16:00)", "----", "Check in now keeps this block going"}
				if got := entryLabels(f.Children); !slices.Equal(got, want) {
					t.Errorf("focus submenu %q, want %q", got, want)
				}
				if c, _ := findEntry(v.Menu, "Check in now"); !strings.Contains(c.Tooltip, "block goes on") {
					t.Errorf("Check in now's tooltip %q does not say the block goes on", c.Tooltip)
				}
			},
		},
		{
			name: "in a meeting", windows: true, icon: assets.IconFocus,
			st: gate.Status{Mode: model.ModeMeeting, Reason: "meeting: Planning 10:30–11:20", Until: at(23, 11, 20), Held: 2, NextCheckin: at(23, 11, 20), Zone: "Europe/Berlin"},
			labels: []string{"In a meeting until 11:20 · 2 held · next check-in 11:20", "----", "Check in now (2)", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
		},
		{
			name: "window open, nothing held", windows: true, icon: assets.IconWindow,
			st: gate.Status{Mode: model.ModeWindow, Until: at(23, 11, 30), Released: 5, NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin"},
			labels: []string{"Check-in window open until 11:30 · 0 held · next check-in 16:00", "----", "Check in now", "Focus",
				"Pause for 1 hour", "----", "Open digest (5)…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				if c, _ := findEntry(v.Menu, "Check in now"); c.Enabled {
					t.Error("Check in now enabled with nothing held and the window open")
				}
			},
		},
		{
			name: "paused", windows: true, icon: assets.IconPaused,
			st: gate.Status{Mode: model.ModePaused, Paused: true, Until: at(23, 13, 0), NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin"},
			labels: []string{"Paused until 13:00, everything live · next check-in 16:00", "----", "Check in now", "Focus",
				"Resume", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				if f, _ := findEntry(v.Menu, "Focus"); f.Enabled {
					t.Error("Focus offered while paused")
				}
			},
		},
		{
			name: "off hours, next check-in tomorrow", windows: true, icon: assets.IconOffHours,
			st: gate.Status{Mode: model.ModeOffHours, Held: 2, NextCheckin: at(24, 11, 0), Zone: "Europe/Berlin"},
			labels: []string{"Off-hours · 2 held · next check-in Tue 11:00", "----", "Check in now (2)", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
		},
		{
			name: "vacation, no check-in scheduled", windows: true, icon: assets.IconOffHours,
			st: gate.Status{Mode: model.ModeVacation, Until: at(30, 0, 0), Zone: "Europe/Berlin"},
			labels: []string{"On vacation until Mon 30 Nov 00:00 · 0 held", "----", "Check in now", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				if _, ok := findEntry(v.Menu, "Until next check-in"); ok {
					t.Error("focus until next check-in offered with none scheduled")
				}
			},
		},
		{
			name: "a connector needs the user", windows: true, icon: assets.IconError,
			st: gate.Status{Mode: model.ModeBetween, NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin", Health: []model.Health{authFailed}},
			labels: []string{"Holding · 0 held · next check-in 16:00", "⚠ Work mail: login failed: bad password", "----", "Check in now", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				if w, _ := findEntry(v.Menu, "⚠"); w.Action != actSettings || !w.Enabled {
					t.Errorf("the warning line %+v does not open Settings", w)
				}
				if !strings.Contains(v.Tooltip, "Work mail: login failed") {
					t.Errorf("tooltip %q hides the failing account", v.Tooltip)
				}
			},
		},
		{
			name: "no windows binary", windows: false, icon: assets.IconHolding,
			st: gate.Status{Mode: model.ModeBetween, NextCheckin: at(23, 16, 0), Zone: "Europe/Berlin"},
			labels: []string{"Holding · 0 held · next check-in 16:00", "----", "Check in now", "Focus",
				"Pause for 1 hour", "----", "Open digest…", "Settings…", "----", "Quit Sluice"},
			check: func(t *testing.T, v view) {
				for _, l := range []string{"Open digest", "Settings"} {
					if e, _ := findEntry(v.Menu, l); e.Enabled || e.Tooltip == "" {
						t.Errorf("%s: enabled=%v tooltip=%q; want disabled with the reason", l, e.Enabled, e.Tooltip)
					}
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := render(snapshot{Status: tc.st, Now: now, Windows: tc.windows, NoUI: "sluice-ui not found"}, plain)
			if v.Icon != tc.icon {
				t.Errorf("icon %s, want %s", v.Icon, tc.icon)
			}
			if got := entryLabels(v.Menu); !slices.Equal(got, tc.labels) {
				t.Errorf("menu\n got %q\nwant %q", got, tc.labels)
			}
			if !strings.HasPrefix(v.Tooltip, "Sluice — "+tc.labels[0]) {
				t.Errorf("tooltip %q", v.Tooltip)
			}
			if len([]rune(v.Tooltip)) > 127 {
				t.Errorf("tooltip longer than Windows shows: %d runes", len([]rune(v.Tooltip)))
			}
			if tc.check != nil {
				tc.check(t, v)
			}
		})
	}
}

// TestFocusMenuSaysWhatACheckinDoes: during focus, with other apps held,
// the Focus menu says that a check-in keeps the block and lets other apps
// through for the window.
func TestFocusMenuSaysWhatACheckinDoes(t *testing.T) {
	loc := berlin(t)
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, loc)
	st := gate.Status{Mode: model.ModeFocus, Until: now.Add(90 * time.Minute), Zone: "Europe/Berlin"}
	v := render(snapshot{Status: st, Now: now, Windows: true, HoldsOthers: true}, func(int) string { return "Sluice" })
	e, ok := findEntry(v.Menu, "Check in now: block goes on")
	if !ok || e.Label != "Check in now: block goes on, other apps show 30 min" || e.Enabled || e.Action != "" {
		t.Errorf("focus menu line %+v", e)
	}
	if !strings.Contains(e.Tooltip, "other apps' notifications show for 30 minutes, then wait again") {
		t.Errorf("tooltip %q", e.Tooltip)
	}
	v = render(snapshot{Status: gate.Status{Mode: model.ModeBetween, Zone: "Europe/Berlin"}, Now: now, HoldsOthers: true}, func(int) string { return "Sluice" })
	if _, ok := findEntry(v.Menu, "Check in now:"); ok {
		t.Error("the focus line shows outside focus")
	}
}

func TestTitles(t *testing.T) {
	// The platform title carries the held count where a title is shown.
	if got := trayTitle(0); got != initialTitle {
		t.Errorf("trayTitle(0) = %q, want %q", got, initialTitle)
	}
	if got := trayTitle(14); initialTitle != "" && !strings.Contains(got, "14") {
		t.Errorf("trayTitle(14) = %q lacks the count", got)
	}
}

func TestUntilMidnight(t *testing.T) {
	loc := berlin(t)
	// The night DST ends is 25 hours long; the redraw still lands just
	// after midnight.
	now := time.Date(2026, 10, 24, 23, 0, 0, 0, loc)
	next := now.Add(untilMidnight(now, loc)).In(loc)
	if next.Day() != 25 || next.Hour() != 0 || next.Minute() != 0 {
		t.Errorf("next redraw at %v", next)
	}
}
