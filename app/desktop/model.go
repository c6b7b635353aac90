package desktop

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/assets"
)

// action is what a menu item does when clicked.
type action string

// Menu actions.
const (
	actCheckin   action = "checkin"
	actFocus25   action = "focus-25"
	actFocus50   action = "focus-50"
	actFocus90   action = "focus-90"
	actFocusNext action = "focus-next"
	actEndFocus  action = "end-focus"
	actPause     action = "pause"
	actResume    action = "resume"
	actDigest    action = "digest"
	actSettings  action = "settings"
	actQuit      action = "quit"
)

// signInPrefix starts the action that signs an account in again:
// "sign-in:" + the account's name.
const signInPrefix = "sign-in:"

// entry is one line of the tray menu. A zero action with no children is a
// line of text; Separator draws a rule.
type entry struct {
	Label     string
	Tooltip   string
	Action    action
	Enabled   bool
	Separator bool
	Children  []entry
}

// snapshot is everything the tray shows, taken at one instant. The tray is
// rebuilt from it, never patched, so what it shows cannot drift from the
// gate's state.
type snapshot struct {
	Status  gate.Status
	Now     time.Time
	Windows bool   // the windows binary can be started
	NoUI    string // why not, when Windows is false
	// HoldsOthers reports whether Sluice holds other apps' notifications
	// during focus (it found a do-not-disturb it can switch, and the
	// setting is on).
	HoldsOthers bool
}

// view is what the tray draws for a snapshot: icon, title, tooltip, menu.
type view struct {
	Icon    assets.Icon
	Title   string // next to the icon where the platform shows it
	Tooltip string
	Menu    []entry
	Windows bool // sluice-ui was found, so the windows can open
}

// zoneOf returns the snapshot's time zone (the schedule's).
func (s snapshot) zone() *time.Location {
	if loc, err := time.LoadLocation(s.Status.Zone); err == nil && s.Status.Zone != "" {
		return loc
	}
	return time.Local
}

// render turns a snapshot into what the tray shows.
func render(s snapshot, titleWithCount func(held int) string) view {
	st := s.Status
	v := view{Icon: iconFor(st), Title: titleWithCount(st.Held), Windows: s.Windows}
	line := statusLine(s)
	v.Tooltip = "Sluice — " + line
	for _, h := range st.Health {
		if h.NeedsAttention() {
			v.Tooltip += "\n" + attentionLine(h)
		}
	}
	v.Tooltip = cut(v.Tooltip, 127) // Windows' notification area limit

	m := []entry{{Label: line}}
	m = append(m, accountEntries(s)...)
	m = append(m, entry{Separator: true}, checkinEntry(s), focusEntry(s))
	if st.Mode == model.ModeFocus {
		m = append(m, entry{Label: "End focus", Action: actEndFocus, Enabled: true})
	}
	if st.Paused {
		m = append(m, entry{Label: "Resume", Action: actResume, Enabled: true, Tooltip: "Hold messages again"})
	} else {
		m = append(m, entry{Label: "Pause for 1 hour", Action: actPause, Enabled: true,
			Tooltip: "Let everything through live for an hour"})
	}
	m = append(m, entry{Separator: true})

	digest := entry{Label: "Open digest…", Action: actDigest, Enabled: s.Windows, Tooltip: s.NoUI}
	if st.Released > 0 {
		digest.Label = fmt.Sprintf("Open digest (%d)…", st.Released)
	}
	m = append(m, digest,
		entry{Label: "Settings…", Action: actSettings, Enabled: s.Windows, Tooltip: s.NoUI},
		entry{Separator: true},
		entry{Label: "Quit Sluice", Action: actQuit, Enabled: true})
	v.Menu = m
	return v
}

// accountEntries are the accounts that need the user: "Sign in to …" for
// those the resident process can sign in itself, a warning that opens the
// settings for the rest.
func accountEntries(s snapshot) []entry {
	var m []entry
	for _, h := range s.Status.Health {
		switch {
		case h.State == model.HealthSignInNeeded:
			// The resident process runs the sign-in itself: no window needed.
			m = append(m, entry{Label: cut("Sign in to "+h.Account, 60) + "…", Action: action(signInPrefix + h.Account), Enabled: true,
				Tooltip: cut("Opens the sign-in page in your browser. "+h.Detail, 200)})
		case h.NeedsAttention():
			m = append(m, entry{Label: "⚠ " + attentionLine(h), Action: actSettings, Enabled: s.Windows,
				Tooltip: "Open Settings to fix this account"})
		}
	}
	return m
}

// checkinEntry is "Check in now", with the held count.
func checkinEntry(s snapshot) entry {
	st := s.Status
	checkin := entry{Label: "Check in now", Action: actCheckin, Enabled: true,
		Tooltip: "Release everything held and open a check-in window"}
	if st.Mode == model.ModeFocus {
		checkin.Tooltip = focusCheckinWords(s.HoldsOthers)
	}
	if st.Held > 0 {
		checkin.Label = fmt.Sprintf("Check in now (%d)", st.Held)
	} else if st.Mode == model.ModeWindow || st.Mode == model.ModePaused {
		// Nothing is held and items already arrive live.
		checkin.Enabled = false
	}
	return checkin
}

// focusEntry is the Focus submenu: for a while, until the next check-in,
// and during a block what "Check in now" does to it.
func focusEntry(s snapshot) entry {
	st := s.Status
	zone := s.zone()
	focus := entry{Label: "Focus", Enabled: st.Mode != model.ModePaused, Children: []entry{
		{Label: "25 minutes", Action: actFocus25, Enabled: true},
		{Label: "50 minutes", Action: actFocus50, Enabled: true},
		{Label: "90 minutes", Action: actFocus90, Enabled: true},
	}}
	if st.Mode == model.ModePaused {
		focus.Tooltip = "Resume first: a pause lets everything through"
	}
	if !st.NextCheckin.IsZero() {
		focus.Children = append(focus.Children, entry{
			Label: "Until next check-in (" + model.When(st.NextCheckin, s.Now, zone) + ")", Action: actFocusNext, Enabled: true})
	}
	if st.Mode == model.ModeFocus {
		// What "Check in now" does to the block that is running.
		label := "Check in now keeps this block going"
		if s.HoldsOthers {
			label = fmt.Sprintf("Check in now: block goes on, other apps show %d min", int(schedule.DefaultWindow/time.Minute))
		}
		focus.Children = append(focus.Children, entry{Separator: true},
			entry{Label: label, Tooltip: focusCheckinWords(s.HoldsOthers)})
	}
	return focus
}

// focusCheckinWords says what "Check in now" does during a focus block:
// the block goes on.
func focusCheckinWords(others bool) string {
	s := "Release everything held now. The focus block goes on: new items wait for its end (urgent ones still break through)"
	if others {
		s += fmt.Sprintf("; other apps' notifications show for %d minutes, then wait again", int(schedule.DefaultWindow/time.Minute))
	}
	return s + "."
}

// iconFor picks the tray icon: a connector that needs the user wins, then
// the mode.
func iconFor(st gate.Status) assets.Icon {
	for _, h := range st.Health {
		if h.NeedsAttention() {
			return assets.IconError
		}
	}
	switch st.Mode {
	case model.ModeFocus, model.ModeMeeting: // a meeting holds like focus
		return assets.IconFocus
	case model.ModeWindow:
		return assets.IconWindow
	case model.ModePaused:
		return assets.IconPaused
	case model.ModeOffHours, model.ModeVacation:
		return assets.IconOffHours
	default:
		return assets.IconHolding
	}
}

// statusLine is the menu's first line, e.g. "Focus until 12:00 · 14 held ·
// next check-in 12:00".
func statusLine(s snapshot) string {
	st, zone := s.Status, s.zone()
	var mode string
	until := ""
	if !st.Until.IsZero() {
		until = " until " + model.When(st.Until, s.Now, zone)
	}
	switch st.Mode {
	case model.ModeFocus, model.ModeMeeting, model.ModeWindow, model.ModeVacation:
		mode = st.Mode.Title() + until
	case model.ModePaused:
		mode = st.Mode.Title() + until + ", everything live"
	default:
		mode = st.Mode.Title()
	}
	parts := []string{mode}
	if st.Mode != model.ModePaused || st.Held > 0 {
		parts = append(parts, fmt.Sprintf("%d held", st.Held))
	}
	if !st.NextCheckin.IsZero() {
		parts = append(parts, "next check-in "+model.When(st.NextCheckin, s.Now, zone))
	}
	return strings.Join(parts, " · ")
}

func attentionLine(h model.Health) string {
	d := h.Detail
	if d == "" {
		d = string(h.State)
	}
	return cut(h.Account+": "+d, 80)
}

// cut shortens s to at most n runes, ending in "…" when cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// untilMidnight is the time until the next midnight in zone.
func untilMidnight(now time.Time, zone *time.Location) time.Duration {
	n := now.In(zone)
	next := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 5, 0, zone)
	return next.Sub(n)
}
