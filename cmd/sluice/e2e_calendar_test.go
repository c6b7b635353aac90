package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/connectors/calendar"
	"github.com/sluice-app/sluice/connectors/calendar/radicaletest"
)

// TestCalendarEndToEnd runs the daemon against a real Radicale: the week's
// meetings come in (a recurring meeting with a moved instance, an event in
// New York, a declined one, an all-day one), the 16:00 check-in moves to the
// end of the meeting it falls in, the mode is "meeting", and the focus
// blocks are written to another calendar, updated when the rhythm changes
// and removed when publishing is turned off, with nothing else on that
// calendar touched.
func TestCalendarEndToEnd(t *testing.T) {
	srv := radicaletest.Start(t, "work", "focus")
	week, err := os.ReadFile("../../connectors/calendar/testdata/week.ics")
	if err != nil {
		t.Fatal(err)
	}
	for uid, ics := range radicaletest.SplitByUID(string(week)) {
		srv.Put(t, "work", strings.TrimSuffix(uid, "@example.com"), ics)
	}
	srv.Put(t, "focus", "dentist", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Dentist\r\nDTSTART:20260303T080000Z\r\nDTEND:20260303T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	focusBefore := srv.Objects(t, "focus")
	workBefore := srv.Objects(t, "work")

	// Monday 2 March 2026, 15:50 in Berlin: inside the moved "Team sync"
	// (15:40–16:20), ten minutes before the 16:00 check-in.
	in := newInstance(t, "2026-03-02T15:50:00+01:00")
	pw := in.config + ".pw"
	if err := os.WriteFile(pw, []byte(radicaletest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := in.mustRun("account", "add", "caldav", "Work calendar", "--url", srv.URL+"/", "--user", radicaletest.User,
		"--calendar", "work", "--address", "alice@example.com", "--password-command", "cat "+pw)
	if !strings.Contains(out, `Added caldav account "Work calendar"`) {
		t.Fatalf("account add: %q", out)
	}
	if out := in.mustRun("account", "test", "Work calendar"); !strings.Contains(out, "reading work") {
		t.Fatalf("account test: %q", out)
	}
	setPublish := func(on bool, template string) {
		t.Helper()
		cfg, _ := os.ReadFile(in.config)
		s := string(cfg)
		if i := strings.Index(s, "\n[calendar]"); i >= 0 {
			if j := strings.Index(s[i+1:], "\n["); j >= 0 {
				s = s[:i] + s[i+1+j:]
			} else {
				s = s[:i]
			}
		}
		s = strings.Replace(s, `template = "twice-a-day"`, `template = "`+template+`"`, 1)
		s = strings.Replace(s, `template = "makers-day"`, `template = "`+template+`"`, 1)
		s += fmt.Sprintf("\n[calendar]\nmove_checkins = true\nhold_in_meetings = true\nall_day_busy = true\npublish_focus = %t\npublish_account = \"Work calendar\"\npublish_calendar = \"focus\"\n", on)
		if err := os.WriteFile(in.config, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setPublish(true, "twice-a-day")
	in.start()

	status := func() control.Status {
		var st control.Status
		if err := json.Unmarshal([]byte(in.mustRun("status", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("waited in vain for %s:\n%s\n%s", what, in.mustRun("status"), in.logs)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("the meetings", func() bool { st := status(); return st.Today != nil && len(st.Today.Meetings) > 0 })

	st := status()
	if st.Mode.String() != "meeting" || !strings.Contains(st.Reason, "Team sync (moved)") {
		t.Errorf("mode: %v (%q), want the meeting", st.Mode, st.Reason)
	}
	text := in.mustRun("status")
	for _, want := range []string{
		"Meetings today: 15:40–16:20 Team sync (moved)",
		`Check-ins today: 11:00, 16:20 (moved from 16:00: meeting "Team sync (moved)" until 16:20)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Lunch") || strings.Contains(text, "Focus — Sluice") {
		t.Errorf("status shows a free event or Sluice's own block as a meeting:\n%s", text)
	}

	// The week, as text and as JSON.
	sched := in.mustRun("schedule", "--days", "7")
	for _, want := range []string{
		"Mon 2 Mar",
		"15:40–16:20   meeting: Team sync (moved)",
		`16:20         check-in (moved from 16:00: meeting "Team sync (moved)" until 16:20)`,
		"15:00–16:00   meeting: US sync",
		"10:45–11:15   meeting: Design review",
		`11:15         check-in (moved from 11:00: meeting "Design review" until 11:15)`,
		"all day       meeting: Offsite",
		`11:00         check-in skipped (meeting "Offsite" runs until Sat 00:00, past working hours)`,
	} {
		if !strings.Contains(sched, want) {
			t.Errorf("schedule lacks %q:\n%s", want, sched)
		}
	}
	if strings.Contains(sched, "Board review") || strings.Contains(sched, "Birthday") || strings.Contains(sched, "Cancelled") {
		t.Errorf("schedule shows a declined, free all-day or cancelled event:\n%s", sched)
	}
	var sc control.Schedule
	if err := json.Unmarshal([]byte(in.mustRun("schedule", "--days", "2", "--json")), &sc); err != nil {
		t.Fatal(err)
	}
	if len(sc.Days) != 2 || len(sc.Days[0].Checkins) != 2 || !sc.Days[0].Checkins[1].Moved {
		t.Errorf("schedule --json: %+v", sc.Days)
	}

	// An item arriving now waits, and says for what.
	in.mustRun("send", "--title", "Build done")
	held := in.items("held")
	if len(held) != 1 || !strings.Contains(held[0].Log[len(held[0].Log)-1].Text, `held: meeting: Team sync (moved) 15:40–16:20 (next check-in 16:20, moved from 16:00 for meeting "Team sync (moved)" until 16:20)`) {
		t.Errorf("held item: %+v", held)
	}

	// Focus blocks are published: the week from now on, twice a day.
	ours := func() []string {
		var out []string
		for _, u := range srv.UIDs(t, "focus") {
			if strings.HasPrefix(u, calendar.FocusUIDPrefix) {
				out = append(out, u)
			}
		}
		return out
	}
	waitFor("the focus blocks", func() bool { return len(ours()) == 10 })
	first := ours()
	if !slices.Contains(first, calendar.FocusUID(time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))) {
		t.Errorf("Tuesday 09:00–11:00 is not published: %v", first)
	}
	if out := in.mustRun("schedule", "--days", "2"); !strings.Contains(out, "focus blocks published to Work calendar ▸ focus") ||
		!strings.Contains(out, "09:00–11:00   focus · on your calendar as busy") {
		t.Errorf("schedule does not show the published blocks:\n%s", out)
	}
	if out := in.mustRun("status"); !strings.Contains(out, "Focus blocks on your calendar (Work calendar ▸ focus): 0 today, 10 in all") {
		t.Errorf("status does not show the published blocks:\n%s", out)
	}

	// The rhythm changes: the blocks follow.
	setPublish(true, "makers-day")
	in.mustRun("config", "reload")
	// Maker's day: 09:00–12:30 and 13:30–17:00, from Monday's running
	// afternoon block to next Monday's.
	var makers []string
	for _, d := range []int{2, 3, 4, 5, 6, 9} {
		if d != 2 {
			makers = append(makers, calendar.FocusUID(time.Date(2026, 3, d, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, d, 11, 30, 0, 0, time.UTC)))
		}
		makers = append(makers, calendar.FocusUID(time.Date(2026, 3, d, 12, 30, 0, 0, time.UTC), time.Date(2026, 3, d, 16, 0, 0, 0, time.UTC)))
	}
	slices.Sort(makers)
	waitFor("the maker's day blocks", func() bool { return slices.Equal(ours(), makers) })

	// Turned off: Sluice's events go, the dentist and the work calendar stay as they were.
	setPublish(false, "makers-day")
	in.mustRun("config", "reload")
	waitFor("the blocks to go", func() bool { return len(ours()) == 0 })
	if after := srv.Objects(t, "focus"); !slices.Equal(after, focusBefore) {
		t.Errorf("the focus calendar changed beyond Sluice's events:\nbefore %v\nafter  %v", focusBefore, after)
	}
	if after := srv.Objects(t, "work"); !slices.Equal(after, workBefore) {
		t.Errorf("the work calendar was touched")
	}
	cfg, _ := os.ReadFile(in.config)
	if strings.Contains(string(cfg), radicaletest.Password) {
		t.Fatal("the password reached the config file")
	}
}
