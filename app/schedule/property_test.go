package schedule

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// propertyZones have 1-hour DST changes (Berlin, New York), a 30-minute one
// (Lord Howe), changes at midnight (Santiago) and none (Tokyo, UTC).
var propertyZones = []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC"}

// oddPlan exercises everything the templates do not: a night shift, windows
// longer than the gap between check-ins, check-ins in DST gaps and overlaps,
// focus blocks across midnight on days without work, and vacations,
// including one over Berlin's fall-back night and one longer than Horizon.
func oddPlan(loc *time.Location) Plan {
	p := Plan{Zone: loc}
	p.Week[time.Monday] = Day{
		Work:     &Span{TimeOfDay{22, 0}, TimeOfDay{6, 0}},
		Checkins: []Checkin{ci("23:00", 45*time.Minute), ci("02:30", 2*time.Hour)},
		Focus:    []Span{span("03:00", "04:00")},
	}
	p.Week[time.Tuesday] = Day{
		Work:     &Span{TimeOfDay{9, 0}, TimeOfDay{17, 0}},
		Checkins: []Checkin{ci("09:00", 0), ci("12:00", 3*time.Hour), ci("14:00", 0)},
		Focus:    []Span{span("09:00", "10:00"), span("13:00", "14:00"), span("23:30", "00:30")},
	}
	p.Week[time.Saturday] = Day{Focus: []Span{span("22:00", "02:00")}}
	p.Week[time.Sunday] = Day{
		Work:     &Span{TimeOfDay{0, 0}, TimeOfDay{24, 0}},
		Checkins: []Checkin{ci("00:00", 0), ci("01:30", 0), ci("02:15", 0), ci("02:30", time.Hour), ci("23:59", MaxWindow)},
		Focus:    []Span{span("02:00", "04:00"), span("12:00", "13:00")},
	}
	p.Vacations = []DateRange{
		{From: date(2026, 5, 1), To: date(2026, 5, 3)},
		{From: date(2026, 7, 10), To: date(2026, 8, 20)},
		{From: date(2026, 10, 24), To: date(2026, 10, 24)},
		{From: date(2026, 12, 24), To: date(2026, 12, 31)},
	}
	return p
}

// meetingPlan is the twice-a-day plan with meetings on every fifth day of
// 2026 that cover check-ins, run back to back, cross DST nights and last
// whole days, all switches on.
func meetingPlan(loc *time.Location) Plan {
	p := TwiceADay(loc)
	p.Meetings = Meetings{MoveCheckins: true, Hold: true, AllDay: true}
	for d := date(2026, 1, 1); d.Year == 2026; d = d.AddDays(5) {
		at := func(h, m int) time.Time { return p.At(d, TimeOfDay{h, m}) }
		p.Busy = append(p.Busy,
			model.Busy{Title: "a", Start: at(10, 30), End: at(11, 20)},
			model.Busy{Title: "b", Start: at(11, 20), End: at(11, 50)},
			model.Busy{Title: "c", Start: at(15, 45), End: at(18, 0)},
			model.Busy{Title: "night", Start: at(1, 15), End: at(3, 45)})
		if d.Day%4 == 0 {
			p.Busy = append(p.Busy, model.Busy{Title: "all day", AllDay: true, Start: at(0, 0), End: p.At(d.AddDays(1), TimeOfDay{})})
		}
	}
	return p
}

func propertyPlans(loc *time.Location) map[string]Plan {
	return map[string]Plan{
		"twice-a-day": TwiceADay(loc), "three-times-a-day": ThreeTimesADay(loc),
		"makers-day": MakersDay(loc), "odd": oddPlan(loc), "empty": {Zone: loc},
		"meetings": meetingPlan(loc),
	}
}

// dstChanges lists the instants in 2026 at which loc changes its offset.
func dstChanges(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > 2026 {
			return out
		}
		out = append(out, end)
		t = end
	}
}

var year2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// randomInstant picks an instant in 2026, often close to a DST change.
func randomInstant(r *rand.Rand, changes []time.Time) time.Time {
	if len(changes) > 0 && r.IntN(10) < 4 {
		c := changes[r.IntN(len(changes))]
		return c.Add(time.Duration(r.Int64N(int64(8*time.Hour))) - 4*time.Hour)
	}
	now := year2026.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
	if r.IntN(3) == 0 {
		now = now.Truncate(15 * time.Minute) // land on plan boundaries often
	}
	return now
}

// randomOverrides sets each override with some chance, around now.
func randomOverrides(r *rand.Rand, now time.Time) Overrides {
	pick := func() time.Time {
		switch n := r.IntN(20); {
		case n < 13:
			return time.Time{}
		case n == 13:
			return now.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour)))) // far away
		default:
			return now.Add(time.Duration(r.Int64N(int64(8*time.Hour))) - 2*time.Hour).Truncate(time.Minute)
		}
	}
	return Overrides{FocusUntil: pick(), SkipFocusUntil: pick(), PauseUntil: pick(), WindowUntil: pick()}
}

// checkInstant asserts the contract between Mode, Next, CheckinsBetween and
// NextCheckin at one instant.
func checkInstant(t *testing.T, r *rand.Rand, p Plan, now time.Time, o Overrides) {
	t.Helper()
	loc := p.zone()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("now %s, overrides %+v: "+format, append([]any{fmtT(now, loc), o}, args...)...)
	}
	st := p.Mode(now, o)
	if st.Reason == "" {
		fail("empty reason for %v", st.Mode)
	}
	if !st.Until.IsZero() {
		if !st.Until.After(now) {
			fail("Until %s is not after now", fmtT(st.Until, loc))
		}
		if got := p.Mode(st.Until, o).Mode; got == st.Mode {
			fail("Mode(Until %s) = %v, want a change from %v", fmtT(st.Until, loc), got, st.Mode)
		}
		if got := p.Mode(st.Until.Add(-time.Nanosecond), o).Mode; got != st.Mode {
			fail("Mode just before Until %s = %v, want %v", fmtT(st.Until, loc), got, st.Mode)
		}
	}
	if st.Mode == model.ModeWindow && !now.Before(o.WindowUntil) {
		if st.Checkin.IsZero() || st.Checkin.After(now) {
			fail("scheduled window without a past check-in: %s", fmtT(st.Checkin, loc))
		}
	}
	if st.Mode != model.ModeWindow && !st.Checkin.IsZero() {
		fail("Checkin %s set in mode %v", fmtT(st.Checkin, loc), st.Mode)
	}

	tr, ok := p.Next(now, o)
	if !ok {
		if st.Mode == model.ModeVacation {
			fail("no transition out of vacation")
		}
		if st.Mode != model.ModePaused && !st.Until.IsZero() {
			fail("Next reports nothing, Until says %s", fmtT(st.Until, loc))
		}
		if cs := p.CheckinsBetween(now, now.Add(Horizon)); len(cs) > 0 {
			fail("Next reports nothing, but a check-in at %s", fmtT(cs[0], loc))
		}
		return
	}
	if !tr.At.After(now) {
		fail("Next %s is not after now", fmtT(tr.At, loc))
	}
	if got := p.Mode(tr.At, o).Mode; got != tr.Mode {
		fail("Next says %v at %s (%v), Mode says %v", tr.Mode, fmtT(tr.At, loc), tr.Kind, got)
	}
	wait := tr.At.Sub(now)
	for _, x := range []time.Time{now, tr.At.Add(-time.Nanosecond), now.Add(time.Duration(r.Int64N(int64(wait))))} {
		if got := p.Mode(x, o).Mode; got != st.Mode {
			fail("mode at %s is %v, want %v until Next at %s", fmtT(x, loc), got, st.Mode, fmtT(tr.At, loc))
		}
	}
	if tr.Mode != st.Mode && !st.Until.Equal(tr.At) {
		fail("mode changes at %s (%v) but Until is %s", fmtT(tr.At, loc), tr.Kind, fmtT(st.Until, loc))
	}
	if tr.Mode == st.Mode && !st.Until.IsZero() && !st.Until.After(tr.At) {
		fail("Until %s before a same-mode transition at %s", fmtT(st.Until, loc), fmtT(tr.At, loc))
	}
	if wait <= Horizon {
		cs := p.CheckinsBetween(now, tr.At)
		isCheckin := len(cs) > 0 && cs[len(cs)-1].Equal(tr.At)
		if len(cs) > 1 || (len(cs) == 1 && !isCheckin) {
			fail("check-ins %v before Next at %s", cs, fmtT(tr.At, loc))
		}
		if (tr.Kind == CheckinStart) != isCheckin {
			fail("Next is %v at %s, check-ins up to it %v", tr.Kind, fmtT(tr.At, loc), cs)
		}
		if isCheckin {
			if c, _, ok := p.NextCheckin(now); !ok || !c.Equal(tr.At) {
				fail("NextCheckin %s (%v), want %s", fmtT(c, loc), ok, fmtT(tr.At, loc))
			}
		}
	}
	if tr.Kind != CheckinStart && tr.Mode == st.Mode {
		fail("Next %v at %s changes nothing", tr.Kind, fmtT(tr.At, loc))
	}
}

// TestPropertyRandomInstants checks the Mode/Next contract at random
// instants of 2026 (many near DST changes) with random overrides.
func TestPropertyRandomInstants(t *testing.T) {
	n := 80
	if testing.Short() {
		n = 30
	}
	for _, name := range propertyZones {
		loc := zone(t, name)
		changes := dstChanges(loc)
		for pname, p := range propertyPlans(loc) {
			t.Run(name+"/"+pname, func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(len(name)), uint64(len(pname))))
				for range n {
					now := randomInstant(r, changes)
					o := randomOverrides(r, now)
					checkInstant(t, r, p, now, o)
					// Exactly at a transition is where off-by-one errors live.
					if tr, ok := p.Next(now, o); ok {
						checkInstant(t, r, p, tr.At, o)
					}
				}
			})
		}
	}
}

// TestPropertyWalkYear follows Next through all of 2026 and checks that the
// chain of transitions agrees with Mode everywhere and that the check-ins it
// passes are exactly those CheckinsBetween reports.
func TestPropertyWalkYear(t *testing.T) {
	for _, name := range propertyZones {
		loc := zone(t, name)
		for _, pname := range []string{"twice-a-day", "odd", "meetings"} {
			if pname == "meetings" && name != "Europe/Berlin" && name != "America/New_York" && name != "Australia/Lord_Howe" {
				continue // slow-ish; the zones with DST changes are what matter
			}
			p := propertyPlans(loc)[pname]
			t.Run(name+"/"+pname, func(t *testing.T) {
				now, end := year2026, year2026.AddDate(1, 0, 0)
				if testing.Short() {
					end = year2026.AddDate(0, 4, 0) // still past the northern spring change
				}
				mode := p.Mode(now, Overrides{}).Mode
				var walked []time.Time
				steps := 0
				for now.Before(end) {
					tr, ok := p.Next(now, Overrides{})
					if !ok {
						t.Fatalf("no transition after %s", fmtT(now, loc))
					}
					if !tr.At.After(now) {
						t.Fatalf("Next(%s) = %s: not after now", fmtT(now, loc), fmtT(tr.At, loc))
					}
					if got := p.Mode(tr.At.Add(-time.Nanosecond), Overrides{}).Mode; got != mode {
						t.Fatalf("just before %s: got %v, want %v", fmtT(tr.At, loc), got, mode)
					}
					if got := p.Mode(tr.At, Overrides{}).Mode; got != tr.Mode {
						t.Fatalf("at %s (%v): Mode got %v, Next said %v", fmtT(tr.At, loc), tr.Kind, got, tr.Mode)
					}
					if tr.Kind == CheckinStart && !tr.At.After(end) {
						walked = append(walked, tr.At)
					}
					now, mode = tr.At, tr.Mode
					steps++
				}
				var listed []time.Time
				for from := year2026; from.Before(end); from = from.Add(7 * 24 * time.Hour) {
					to := from.Add(7 * 24 * time.Hour)
					if to.After(end) {
						to = end
					}
					listed = append(listed, p.CheckinsBetween(from, to)...)
				}
				if len(walked) != len(listed) {
					t.Fatalf("walked %d check-ins, CheckinsBetween lists %d", len(walked), len(listed))
				}
				for i := range walked {
					if !walked[i].Equal(listed[i]) {
						t.Fatalf("check-in %d: walked %s, listed %s", i, fmtT(walked[i], loc), fmtT(listed[i], loc))
					}
				}
				t.Logf("%d transitions, %d check-ins", steps, len(walked))
			})
		}
	}
}

// naiveMode is an independent reading of the mode rules by wall clock, valid
// only where wall clock and real time agree (zones without DST) and for
// plans without spans across midnight.
func naiveMode(p Plan, now time.Time, o Overrides) model.Mode {
	local := now.In(p.zone())
	d := DateOf(local)
	secs := local.Hour()*3600 + local.Minute()*60 + local.Second()
	in := func(s Span) bool { return secs >= s.Start.minutes()*60 && secs < s.End.minutes()*60 }
	day := p.Week[d.Weekday()]
	if now.Before(o.PauseUntil) {
		return model.ModePaused
	}
	for _, v := range p.Vacations {
		if d.Compare(v.From) >= 0 && d.Compare(v.To) <= 0 {
			return model.ModeVacation
		}
	}
	if now.Before(o.FocusUntil) {
		return model.ModeFocus
	}
	if !now.Before(o.SkipFocusUntil) {
		for _, f := range day.Focus {
			if in(f) {
				return model.ModeFocus
			}
		}
	}
	if now.Before(o.WindowUntil) {
		return model.ModeWindow
	}
	if day.Work != nil {
		for _, c := range day.Checkins {
			at := c.At.minutes() * 60
			if secs >= at && secs < at+int(c.window()/time.Second) {
				return model.ModeWindow
			}
		}
		if in(*day.Work) {
			return model.ModeBetween
		}
	}
	return model.ModeOffHours
}

func TestModeAgainstNaiveReading(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, name := range []string{"Asia/Tokyo", "UTC"} {
		loc := zone(t, name)
		for _, pname := range []string{"twice-a-day", "three-times-a-day", "makers-day"} {
			p := propertyPlans(loc)[pname]
			p.Vacations = []DateRange{{From: date(2026, 5, 1), To: date(2026, 5, 3)}, {From: date(2026, 12, 24), To: date(2026, 12, 31)}}
			for range 2000 {
				now := randomInstant(r, nil)
				o := randomOverrides(r, now)
				if got, want := p.Mode(now, o).Mode, naiveMode(p, now, o); got != want {
					t.Fatalf("%s %s at %s, overrides %+v: got %v, want %v", name, pname, fmtT(now, loc), o, got, want)
				}
			}
		}
	}
}
