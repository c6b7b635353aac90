package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

func TestParsePromise(t *testing.T) {
	for _, tc := range []struct {
		in, canon, words string
	}{
		{"24h", "24h", "within 24 hours"},
		{" 4h30m ", "4h30m", "within 4h30m"},
		{"90m", "1h30m", "within 1h30m"},
		{"45m", "45m", "within 45 minutes"},
		{"1h", "1h", "within an hour"},
		{"next-checkin", "next-checkin", "by the next check-in"},
		{"Next check-in", "next-checkin", "by the next check-in"},
		{"1 working day", "1 working day", "within a working day"},
		{"2  working   days", "2 working days", "within 2 working days"},
	} {
		p, err := ParsePromise(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if p.String() != tc.canon || p.Words() != tc.words {
			t.Errorf("%q: got %q / %q, want %q / %q", tc.in, p, p.Words(), tc.canon, tc.words)
		}
		back, err := ParsePromise(p.String())
		if err != nil || back != p {
			t.Errorf("%q: round trip gave %+v, %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"", "soon", "0s", "30s", "800h", "0 working days", "31 working days", "2 days", "two working days", "-1h"} {
		if _, err := ParsePromise(bad); !errors.Is(err, ErrBadPromise) {
			t.Errorf("%q: err = %v, want ErrBadPromise", bad, err)
		}
	}
}

// TestDue: working days skip the weekend and vacations and keep the time
// of day across both changes of daylight saving time; a duration counts
// every hour; next-checkin is the end of the next check-in's window.
// Berlin changes to summer time on Sunday 29 March 2026 and back on
// Sunday 25 October 2026.
func TestDue(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	plan := TwiceADay(berlin) // Mon–Fri 09:00–17:30, check-ins 11:00 and 16:00 (30 min)
	vac := plan
	vac.Vacations = []DateRange{{From: date(2026, 3, 30), To: date(2026, 3, 31)}}
	// A meeting over Monday's 11:00 check-in moves it; the promise stays.
	meet := plan
	meet.Meetings = Meetings{MoveCheckins: true, Hold: true}
	meet.Busy = []model.Busy{{Start: ts(t, "2026-03-30T10:30:00+02:00"), End: ts(t, "2026-03-30T12:00:00+02:00"), Title: "Planning"}}
	night := Plan{Zone: berlin}
	for w := time.Monday; w <= time.Friday; w++ {
		s := span("22:00", "06:00")
		night.Week[w] = Day{Work: &s}
	}
	must := func(s string) Promise {
		p, err := ParsePromise(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		plan     Plan
		promise  string
		received string
		want     string
	}{
		{"a working day over the weekend and into summer time", plan, "1 working day", "2026-03-27T10:00:00+01:00", "2026-03-30T10:00:00+02:00"},
		{"two working days over the weekend", plan, "2 working days", "2026-03-26T16:00:00+01:00", "2026-03-30T16:00:00+02:00"},
		{"sent on Saturday: counted from Monday's start", plan, "1 working day", "2026-03-28T12:00:00+01:00", "2026-03-31T09:00:00+02:00"},
		{"sent after hours: counted from the next morning", plan, "1 working day", "2026-03-30T20:00:00+02:00", "2026-04-01T09:00:00+02:00"},
		{"sent before hours", plan, "1 working day", "2026-03-31T07:15:00+02:00", "2026-04-01T09:00:00+02:00"},
		{"back to winter time over the weekend", plan, "1 working day", "2026-10-23T15:00:00+02:00", "2026-10-26T15:00:00+01:00"},
		{"vacation days are no working days", vac, "1 working day", "2026-03-27T10:00:00+01:00", "2026-04-01T10:00:00+02:00"},
		{"sent during a vacation", vac, "1 working day", "2026-03-30T10:00:00+02:00", "2026-04-02T09:00:00+02:00"},
		{"a night shift keeps its hour after midnight", night, "1 working day", "2026-03-31T02:00:00+02:00", "2026-04-01T02:00:00+02:00"},
		{"Friday's night shift to Monday's", night, "1 working day", "2026-03-28T03:00:00+01:00", "2026-03-31T03:00:00+02:00"},
		{"24h counts the weekend and the short night", plan, "24h", "2026-03-28T10:00:00+01:00", "2026-03-29T11:00:00+02:00"},
		{"4h", plan, "4h", "2026-03-30T16:00:00+02:00", "2026-03-30T20:00:00+02:00"},
		{"next check-in: after Friday's last, Monday's first window", plan, "next-checkin", "2026-03-27T16:45:00+01:00", "2026-03-30T11:30:00+02:00"},
		{"next check-in: the afternoon's", plan, "next-checkin", "2026-03-30T12:00:00+02:00", "2026-03-30T16:30:00+02:00"},
		{"next check-in: meetings do not move the promise", meet, "next-checkin", "2026-03-30T10:00:00+02:00", "2026-03-30T11:30:00+02:00"},
		{"next check-in: none during the vacation", vac, "next-checkin", "2026-03-27T17:00:00+01:00", "2026-04-01T11:30:00+02:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.plan.Due(must(tc.promise), ts(t, tc.received))
			if !ok || !got.Equal(ts(t, tc.want)) {
				t.Errorf("due = %s (%v), want %s", fmtT(got, berlin), ok, tc.want)
			}
		})
	}
}

func TestDueWithoutWorkingDays(t *testing.T) {
	empty := Plan{Zone: zone(t, "Europe/Berlin")}
	at := ts(t, "2026-03-27T10:00:00+01:00")
	for _, p := range []string{"1 working day", "next-checkin"} {
		pr, _ := ParsePromise(p)
		if got, ok := empty.Due(pr, at); ok {
			t.Errorf("%s in an empty plan: due %v, want none", p, got)
		}
	}
	pr, _ := ParsePromise("24h")
	if got, ok := empty.Due(pr, at); !ok || !got.Equal(at.Add(24*time.Hour)) {
		t.Errorf("24h in an empty plan: %v, %v", got, ok)
	}
}
