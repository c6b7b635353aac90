package calendar

import (
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/emersion/go-ical"

	"github.com/sluice-app/sluice/app/model"
)

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func readCal(t testing.TB, path string) *ical.Calendar {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := ical.NewDecoder(f).Decode()
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return cal
}

// WeekWant is what testdata/week.ics makes of the week of Monday 2 March
// 2026 for alice@example.com in Berlin: the moved instance of the recurring
// meeting (its Wednesday is excluded), the New York meeting at 15:00
// Berlin, the Outlook event in a Windows zone, the partner's event in a zone
// known only by its VTIMEZONE, and the all-day event marked busy. Left out:
// the declined event, the free lunch, the cancelled call, the all-day
// birthday and Sluice's own focus block.
var weekWant = []string{
	"Mon 15:40–16:20 Team sync (moved)",
	"Tue 15:00–16:00 US sync",
	"Wed 10:45–11:15 Design review",
	"Thu 15:00–15:30 Partner call",
	"Fri 00:00–00:00 Offsite (all day)",
}

func describe(bs []model.Busy, loc *time.Location) []string {
	var out []string
	for _, b := range bs {
		s := b.Start.In(loc).Format("Mon 15:04") + "–" + b.End.In(loc).Format("15:04") + " " + b.Title
		if b.AllDay {
			s += " (all day)"
		}
		out = append(out, s)
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestExpandWeek(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	cal := readCal(t, "testdata/week.ics")
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin)
	got, err := Expand(cal, from, from.AddDate(0, 0, 7), Filter{Addresses: []string{"alice@example.com"}, Local: berlin, Account: "Work"})
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "busy", describe(got, berlin), weekWant)
	for _, b := range got {
		if b.Account != "Work" {
			t.Errorf("%s: account %q", b.Title, b.Account)
		}
	}
	// Without the user's address the declined event is busy: it is the
	// address that decides, not the word DECLINED anywhere.
	got, _ = Expand(cal, from, from.AddDate(0, 0, 7), Filter{Local: berlin})
	if d := describe(got, berlin); len(d) != len(weekWant)+1 || !strings.Contains(strings.Join(d, "\n"), "Thu 10:30–11:30 Board review") {
		t.Errorf("without addresses: got %v", d)
	}
	// The series' first week: Monday at its usual time, Wednesday's
	// instance declined by the user in its override.
	got, _ = Expand(cal, from.AddDate(0, 0, -14), from.AddDate(0, 0, -7), Filter{Addresses: []string{"alice@example.com"}, Local: berlin})
	sameLines(t, "week of 16 Feb", describe(got, berlin), []string{
		"Mon 10:30–11:20 Team sync", "Tue 15:00–16:00 US sync",
	})
}

// TestExpandNewYorkMeetingFromBerlin is the DST case: a weekly 09:00 New
// York meeting moves in Berlin's day while only one of the zones has
// switched (US: 8 March and 1 November 2026; Europe: 29 March and
// 25 October), and UNTIL (in UTC) keeps its last instance.
func TestExpandNewYorkMeetingFromBerlin(t *testing.T) {
	berlin, ny := loadZone(t, "Europe/Berlin"), loadZone(t, "America/New_York")
	cal := readCal(t, "testdata/week.ics")
	got, err := Expand(cal, time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), time.Date(2026, 5, 31, 0, 0, 0, 0, berlin),
		Filter{Local: berlin})
	if err != nil {
		t.Fatal(err)
	}
	var us []string
	for _, b := range got {
		if b.Title == "US sync" {
			us = append(us, b.Start.In(berlin).Format("Jan 2 15:04 MST")+" = "+b.Start.In(ny).Format("15:04 MST"))
		}
	}
	sameLines(t, "US sync in Berlin", us, []string{
		"Mar 3 15:00 CET = 09:00 EST",
		"Mar 10 14:00 CET = 09:00 EDT", // only the US has switched
		"Mar 17 14:00 CET = 09:00 EDT",
		"Mar 24 14:00 CET = 09:00 EDT",
		"Mar 31 15:00 CEST = 09:00 EDT",
		"Apr 7 15:00 CEST = 09:00 EDT", "Apr 14 15:00 CEST = 09:00 EDT", "Apr 21 15:00 CEST = 09:00 EDT",
		"Apr 28 15:00 CEST = 09:00 EDT",
		"May 5 15:00 CEST = 09:00 EDT", // UNTIL=20260505T130000Z is this instance
	})

	// Autumn: Europe switches back first.
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:US sync\r\n" +
		"DTSTART;TZID=America/New_York:20261019T100000\r\nDTEND;TZID=America/New_York:20261019T110000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	c, err := ical.NewDecoder(strings.NewReader(ics)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	got, _ = Expand(c, time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), time.Date(2026, 12, 1, 0, 0, 0, 0, berlin), Filter{Local: berlin})
	sameLines(t, "autumn", describe(got, berlin), []string{
		"Mon 16:00–17:00 US sync", "Mon 15:00–16:00 US sync", "Mon 16:00–17:00 US sync",
	})
}

// TestRuleZoneMatchesIANA checks the VTIMEZONE-only zone against Go's
// database hour by hour through 2026, and through its changes minute by minute.
func TestRuleZoneMatchesIANA(t *testing.T) {
	cal := readCal(t, "testdata/week.ics")
	zs := newZones(cal, time.UTC)
	for _, tc := range []struct{ tzid, iana string }{{"Partner Eastern Time", "America/New_York"}, {"W. Europe Standard Time", "Europe/Berlin"}} {
		vt := zs.vtz[tc.tzid]
		rz, err := newRuleZone(vt)
		if err != nil {
			t.Fatal(err)
		}
		lz := locZone{loadZone(t, tc.iana)}
		for u := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); u.Year() == 2026; u = u.Add(time.Hour) {
			if g, w := rz.wall(u), lz.wall(u); !g.Equal(w) {
				t.Fatalf("%s: wall(%s) = %s, want %s", tc.tzid, u, g, w)
			}
		}
		for w := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); w.Year() == 2026; w = w.Add(15 * time.Minute) {
			if g, want := rz.instant(w), lz.instant(w); !g.Equal(want) {
				t.Fatalf("%s: instant(%s) = %s, want %s", tc.tzid, w.Format("2006-01-02 15:04"), g, want.UTC())
			}
		}
	}
	// Windows names resolve without their VTIMEZONE too.
	z, err := (&zones{vtz: map[string]*ical.Component{}, cache: map[string]zone{}, failed: map[string]error{}}).byID("Eastern Standard Time")
	if err != nil || z.(locZone).loc.String() != "America/New_York" {
		t.Errorf("Windows name: got %v, %v", z, err)
	}
	if _, err := (&zones{vtz: map[string]*ical.Component{}, cache: map[string]zone{}, failed: map[string]error{}}).byID("Nowhere/Atlantis"); err == nil {
		t.Errorf("an unknown zone resolved")
	}
}

func TestExpandEdgeCases(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	wrap := func(body string) *ical.Calendar {
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n" + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
		c, err := ical.NewDecoder(strings.NewReader(ics)).Decode()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin)
	to := from.AddDate(0, 0, 7)
	cases := []struct {
		name string
		ics  string
		want []string
	}{
		{"floating time is the user's", `BEGIN:VEVENT
UID:a
DTSTAMP:20260101T000000Z
SUMMARY:Floating
DTSTART:20260303T100000
DTEND:20260303T110000
END:VEVENT`, []string{"Tue 10:00–11:00 Floating"}},
		{"daily with a list of exdates and an rdate", `BEGIN:VEVENT
UID:b
DTSTAMP:20260101T000000Z
SUMMARY:Daily
DTSTART:20260302T080000Z
DURATION:PT15M
RRULE:FREQ=DAILY;COUNT=4
EXDATE:20260303T080000Z,20260304T080000Z
RDATE:20260307T120000Z
END:VEVENT`, []string{"Mon 09:00–09:15 Daily", "Thu 09:00–09:15 Daily", "Sat 13:00–13:15 Daily"}},
		{"a cancelled instance of a series", `BEGIN:VEVENT
UID:c
DTSTAMP:20260101T000000Z
SUMMARY:Series
DTSTART;TZID=Europe/Berlin:20260302T140000
DTEND;TZID=Europe/Berlin:20260302T143000
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:c
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260303T130000Z
SUMMARY:Series
DTSTART;TZID=Europe/Berlin:20260303T140000
DTEND;TZID=Europe/Berlin:20260303T143000
STATUS:CANCELLED
END:VEVENT`, []string{"Mon 14:00–14:30 Series", "Wed 14:00–14:30 Series"}},
		{"an unknown zone skips only that event", `BEGIN:VEVENT
UID:d
DTSTAMP:20260101T000000Z
SUMMARY:Lost
DTSTART;TZID=Nowhere:20260303T100000
DTEND;TZID=Nowhere:20260303T110000
END:VEVENT
BEGIN:VEVENT
UID:e
DTSTAMP:20260101T000000Z
SUMMARY:Found
DTSTART:20260303T090000Z
DTEND:20260303T100000Z
END:VEVENT`, []string{"Tue 10:00–11:00 Found"}},
		{"free by Outlook's busy status", `BEGIN:VEVENT
UID:f
DTSTAMP:20260101T000000Z
SUMMARY:Tentative hold
DTSTART:20260303T090000Z
DTEND:20260303T100000Z
X-MICROSOFT-CDO-BUSYSTATUS:FREE
END:VEVENT`, nil},
		{"minutely rules are refused", `BEGIN:VEVENT
UID:g
DTSTAMP:20260101T000000Z
SUMMARY:Spam
DTSTART:20000101T000000Z
DURATION:PT1M
RRULE:FREQ=SECONDLY
END:VEVENT`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(wrap(tc.ics), from, to, Filter{Local: berlin})
			if strings.Contains(tc.name, "unknown") || strings.Contains(tc.name, "refused") {
				if err == nil {
					t.Errorf("no error for the unreadable event")
				}
			} else if err != nil {
				t.Errorf("error: %v", err)
			}
			sameLines(t, "busy", describe(got, berlin), tc.want)
		})
	}
}
