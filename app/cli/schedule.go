package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

func runSchedule(e *Env, args []string) error {
	fs := newFlags(e, "schedule")
	days := fs.Int("days", 7, "how many days, from today (1–31)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	if *days < 1 || *days > 31 {
		return usagef("schedule: --days must be between 1 and 31")
	}
	c, cancel := ctx()
	defer cancel()
	sc, err := e.client().Schedule(c, *days)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, sc)
	}
	printSchedule(e.Stdout, sc)
	return nil
}

func zoneNamed(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.Local
	}
	return loc
}

// printSchedule writes each day: its modes, meetings and check-ins in time
// order, the focus blocks that are on the user's calendar marked.
func printSchedule(w io.Writer, sc control.Schedule) {
	loc := zoneNamed(sc.Zone)
	fmt.Fprintf(w, "Schedule in %s", sc.Zone)
	switch p := sc.Publish; {
	case p.On && p.Error != "":
		fmt.Fprintf(w, " · focus blocks not published to %s ▸ %s: %s", p.Account, p.Calendar, p.Error)
	case p.On:
		fmt.Fprintf(w, " · focus blocks published to %s ▸ %s", p.Account, p.Calendar)
	}
	fmt.Fprintln(w)
	for _, d := range sc.Days {
		fmt.Fprintln(w)
		fmt.Fprintln(w, d.Start.In(loc).Format("Mon 2 Jan"))
		for _, l := range dayLines(d, sc.Publish.Blocks, loc) {
			fmt.Fprintln(w, "  "+l)
		}
	}
}

type line struct {
	at   time.Time
	rank int // at the same instant: meetings, then check-ins, then modes
	text string
}

func dayLines(d schedule.PreviewDay, published []model.Busy, loc *time.Location) []string {
	hm := func(t time.Time) string { return t.In(loc).Format("15:04") }
	span := func(a, b time.Time) string {
		e := hm(b)
		if e == "00:00" && !b.Before(d.End) {
			e = "24:00"
		}
		s := hm(a)
		if a.Before(d.Start) {
			s = "…" + s
		}
		return s + "–" + e
	}
	var ls []line
	for _, s := range d.Segments {
		text := fmt.Sprintf("%-13s %s", span(s.Start, s.End), modeName(s.Mode))
		if s.Mode == model.ModeFocus && slices.ContainsFunc(published, func(b model.Busy) bool { return b.Start.Before(s.End) && b.End.After(s.Start) }) {
			text += " · on your calendar as busy"
		}
		ls = append(ls, line{s.Start, 2, text})
	}
	for _, m := range d.Meetings {
		title := m.Title
		if title == "" {
			title = "(no title)"
		}
		when := span(m.Start, m.End)
		if m.AllDay {
			when = "all day"
		}
		ls = append(ls, line{m.Start, 0, fmt.Sprintf("%-13s meeting: %s", when, title)})
	}
	for _, c := range d.Checkins {
		at := c.At
		if c.Skipped {
			at = c.Planned
		}
		ls = append(ls, line{at, 1, fmt.Sprintf("%-13s check-in %s", hm(at), strings.TrimPrefix(c.Words(loc), hm(at)+" "))})
	}
	slices.SortStableFunc(ls, func(a, b line) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.rank - b.rank
	})
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = strings.TrimRight(l.text, " ")
	}
	return out
}

func modeName(m model.Mode) string {
	switch m {
	case model.ModeWindow:
		return "check-in window"
	case model.ModeBetween:
		return "working, held"
	case model.ModeMeeting:
		return "in a meeting, held"
	}
	return m.String()
}

// printToday is the status's part about the calendar: today's meetings,
// check-ins (saying which moved) and published focus blocks.
func printToday(w io.Writer, st control.Status) {
	d := st.Today
	if d == nil {
		return
	}
	calendars := len(d.Meetings) > 0
	for _, h := range st.Health {
		calendars = calendars || h.Kind == model.KindCalDAV || h.Kind == model.KindICS
	}
	loc := zoneNamed(st.Zone)
	if calendars {
		var ms []string
		for _, m := range d.Meetings {
			when := m.Start.In(loc).Format("15:04") + "–" + m.End.In(loc).Format("15:04")
			if m.AllDay {
				when = "all day"
			}
			ms = append(ms, when+" "+m.Title)
		}
		if len(ms) == 0 {
			ms = []string{"none"}
		}
		fmt.Fprintln(w, "Meetings today: "+strings.Join(ms, "; "))
	}
	var cs []string
	for _, c := range d.Checkins {
		cs = append(cs, c.Words(loc))
	}
	if len(cs) > 0 {
		fmt.Fprintln(w, "Check-ins today: "+strings.Join(cs, ", "))
	}
	if p := st.Publish; p != nil && p.On {
		n := 0
		for _, b := range p.Blocks {
			if b.Start.Before(d.End) && b.End.After(d.Start) {
				n++
			}
		}
		msg := fmt.Sprintf("Focus blocks on your calendar (%s ▸ %s): %d today, %d in all", p.Account, p.Calendar, n, len(p.Blocks))
		if p.Error != "" {
			msg += " — last attempt failed: " + p.Error
		}
		fmt.Fprintln(w, msg)
	}
}
