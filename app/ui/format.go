package ui

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
)

// whenText formats t for a list: "14:05" today, "Yesterday 14:05",
// "Mon 14:05" within the week, "3 Jan" this year, else "3 Jan 2025".
func whenText(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t, now = t.In(loc), now.In(loc)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, loc)
	day := time.Date(ty, tm, td, 0, 0, 0, 0, loc)
	// Rounded, not truncated: a day ahead is -1 (int(-0.5) would be 0),
	// and a DST day is 23 or 25 hours.
	days := int(math.Round(today.Sub(day).Hours() / 24))
	switch {
	case days == 0:
		return t.Format("15:04")
	case days == 1:
		return "Yesterday " + t.Format("15:04")
	case days == -1:
		return "Tomorrow " + t.Format("15:04")
	case days > 1 && days < 7, days < -1 && days > -7:
		return t.Format("Mon 15:04")
	case ty == ny:
		return t.Format("2 Jan")
	default:
		return t.Format("2 Jan 2006")
	}
}

// untilText says how far ahead t is: "in 5 min", "in 2 h 10 min", "now".
func untilText(t, now time.Time) string {
	d := t.Sub(now).Round(time.Minute)
	if d <= 0 {
		return "now"
	}
	return "in " + durationText(d)
}

// durationText writes d for people: "45 min", "2 h 10 min", "3 d 4 h".
func durationText(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		m := int(d.Minutes()) % 60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		days := int(d.Hours()) / 24
		h := int(d.Hours()) % 24
		if h == 0 {
			return fmt.Sprintf("%d d", days)
		}
		return fmt.Sprintf("%d d %d h", days, h)
	}
}

// plural writes "1 item", "2 items".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// statusZone is the zone the running Sluice schedules in; times are shown
// in it, which is the user's own unless they chose another on purpose.
func statusZone(st control.Status) *time.Location {
	if st.Zone != "" && st.Zone != "Local" {
		if loc, err := time.LoadLocation(st.Zone); err == nil {
			return loc
		}
	}
	return time.Local
}

// nextCheckinText is the header's "next check-in 14:00 (in 2 h)".
func nextCheckinText(st control.Status, now time.Time) string {
	if st.NextCheckin.IsZero() {
		return "No check-in scheduled"
	}
	loc := statusZone(st)
	return fmt.Sprintf("Next check-in %s (%s)", whenText(st.NextCheckin, now, loc), untilText(st.NextCheckin, now))
}

// modeText is the mode in words: "Focus block 09:00–11:00 until 11:00".
func modeText(st control.Status) string {
	r := st.Reason
	if r == "" {
		r = st.Mode.String()
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

// sourceName is how an account is named in the windows.
func sourceName(account string) string {
	if account == "local" {
		return "Local inbox"
	}
	if account == "" {
		return "Unknown source"
	}
	return account
}

// kindWords is "a mail", "a Slack message" or "an item" for the rule tester.
func kindWords(k model.Kind) string {
	switch k {
	case model.KindIMAP:
		return "a mail"
	case model.KindSlack:
		return "a Slack message"
	default:
		return "an item"
	}
}

// systemZone names the computer's time zone (IANA), or "" when unknown.
func systemZone() string {
	if tz := os.Getenv("TZ"); tz != "" {
		return strings.TrimPrefix(tz, ":")
	}
	if link, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(link, "zoneinfo/"); i >= 0 {
			return link[i+len("zoneinfo/"):]
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if z := strings.TrimSpace(string(b)); z != "" {
			return z
		}
	}
	if n := time.Local.String(); n != "Local" {
		return n
	}
	return ""
}

// shortPath shows a path with the home directory as "~".
func shortPath(p string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join("~", rel)
		}
	}
	return p
}
