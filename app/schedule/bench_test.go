package schedule

import (
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
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
	d, c := date(2026, 10, 25), TimeOfDay{2, 30}
	for b.Loop() {
		p.At(d, c)
	}
}

// benchMeetings is the bench plan with two weeks of a busy calendar: six
// meetings a working day, all switches on.
func benchMeetings(b *testing.B) (Plan, time.Time) {
	p, now := benchPlan(b)
	p.Meetings = Meetings{MoveCheckins: true, Hold: true, AllDay: true}
	start := DateOf(now.In(p.Zone)).AddDays(-1)
	for d := start; d.Compare(start.AddDays(15)) < 0; d = d.AddDays(1) {
		for _, h := range []int{9, 10, 11, 13, 15, 16} {
			at := p.At(d, TimeOfDay{h, 40})
			p.Busy = append(p.Busy, model.Busy{Title: "m", Start: at, End: at.Add(35 * time.Minute)})
		}
	}
	return p, now
}

func BenchmarkModeWithMeetings(b *testing.B) {
	p, now := benchMeetings(b)
	for b.Loop() {
		p.Mode(now, Overrides{})
	}
}

func BenchmarkNextWithMeetings(b *testing.B) {
	p, now := benchMeetings(b)
	for b.Loop() {
		p.Next(now, Overrides{})
	}
}

func BenchmarkPreview7DaysWithMeetings(b *testing.B) {
	p, now := benchMeetings(b)
	for b.Loop() {
		p.Preview(now, 7)
	}
}
