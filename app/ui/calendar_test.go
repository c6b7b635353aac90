package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/model"
)

// TestSchedulePreviewShowsMeetings: the running Sluice's meetings come
// through the control API and the 7-day preview draws them, with the
// check-in they move, and follows the switches as they are edited.
func TestSchedulePreviewShowsMeetings(t *testing.T) {
	cfg := testConfig()
	// A calendar account that cannot connect: its stored meetings stay.
	cfg.Accounts = []config.Account{{Name: "Work calendar", Kind: "caldav", URL: "http://127.0.0.1:9/", Username: "me@example.com"}}
	f := newFixture(t, cfg)
	loc := monday(t).Location()
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
	busy := []model.Busy{
		{Title: "Team sync", Account: "Work calendar", Start: at(2, 15, 40), End: at(2, 16, 20)},
		{Title: "Planning", Account: "Work calendar", Start: at(3, 10, 30), End: at(3, 11, 20)},
	}
	if err := f.app.Gate().SetBusy(context.Background(), "Work calendar", busy, nil); err != nil {
		t.Fatal(err)
	}
	s, w := openSettings(t, f, TabSchedule)
	tl := s.sched.preview
	mon := tl.lines[0]
	if len(mon.Meetings) != 1 || mon.Meetings[0].From != 15*60+40 || mon.Meetings[0].To != 16*60+20 {
		t.Fatalf("Monday's meetings: %+v", mon.Meetings)
	}
	if c := mon.Checkins; len(c) != 2 || !c[1].Moved || c[1].At != 16*60+20 || c[1].Planned != 16*60 {
		t.Errorf("Monday's check-ins: %+v, want the second moved from 16:00 to 16:20", c)
	}
	if !s.sched.moves.Visible() || !strings.Contains(s.sched.moves.Text, `Mon 16:20 (moved from 16:00: meeting "Team sync" until 16:20)`) ||
		!strings.Contains(s.sched.moves.Text, `Tue 11:20 (moved from 11:00: meeting "Planning" until 11:20)`) {
		t.Errorf("moves note: %q", s.sched.moves.Text)
	}
	golden(t, "settings-schedule-meetings", w)

	// Switching moves off: the check-in is back at 16:00, the meeting still shown.
	test.Tap(find(s.holder, func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "Move check-ins") }))
	mon = tl.lines[0]
	if c := mon.Checkins; len(c) != 2 || c[1].Moved || c[1].At != 16*60 || len(mon.Meetings) != 1 {
		t.Errorf("moves off: %+v %+v", c, mon.Meetings)
	}
	if s.sched.moves.Visible() {
		t.Errorf("moves note still shown: %q", s.sched.moves.Text)
	}
	// Publishing needs an account and a calendar: the fields say so.
	test.Tap(find(s.holder, func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "Publish focus blocks") }))
	if sl := s.fe.find("calendar.publish_calendar"); !s.invalid || sl == nil || !strings.Contains(sl.label.Text, "required") {
		t.Errorf("publishing without a calendar: invalid=%v, slot %v", s.invalid, sl)
	}
}
