package schedule

import (
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo
)

// zone loads an IANA zone from Go's embedded database.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// ts parses an instant written with its offset ("2026-03-29T03:30:00+02:00"),
// so that DST cases say exactly which occurrence they mean. "" is the zero time.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test instant %q: %v", s, err)
	}
	return v
}

// fmtT formats an instant in loc for "got X, want Y" messages.
func fmtT(v time.Time, loc *time.Location) string {
	if v.IsZero() {
		return "(zero)"
	}
	return v.In(loc).Format(time.RFC3339)
}

func date(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

func span(s, e string) Span { return Span{Start: mustTimeOfDay(s), End: mustTimeOfDay(e)} }

func mustTimeOfDay(s string) TimeOfDay {
	c, err := ParseTimeOfDay(s)
	if err != nil {
		panic(err)
	}
	return c
}

func ci(at string, window time.Duration) Checkin {
	return Checkin{At: mustTimeOfDay(at), Window: Duration{window}}
}
