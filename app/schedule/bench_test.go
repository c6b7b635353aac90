package schedule

import (
	"testing"
	"time"
)

// The gate calls Mode and Next about once a minute and on every event, so
// these only need to be far below a millisecond; they are reported, not
// asserted.

func benchPlan(b *testing.B) (Plan, time.Time) {
	p := TwiceADay(zone(b, "Europe/Berlin"))
	return p, time.Date(2026, 3, 27, 18, 0, 0, 0, p.Zone) // Friday evening: Next looks over a weekend
}

func BenchmarkMode(b *testing.B) {
	p, now := benchPlan(b)
	for b.Loop() {
		p.Mode(now, Overrides{})
	}
}

func BenchmarkNext(b *testing.B) {
	p, now := benchPlan(b)
	for b.Loop() {
		p.Next(now, Overrides{})
	}
}

func BenchmarkCheckinsBetween8Days(b *testing.B) {
	p, now := benchPlan(b)
	for b.Loop() {
		p.CheckinsBetween(now.Add(-Horizon), now)
	}
}

func BenchmarkAt(b *testing.B) {
	p, _ := benchPlan(b)
	d, c := date(2026, 10, 25), Clock{2, 30}
	for b.Loop() {
		p.At(d, c)
	}
}
