package schedule

import (
	"testing"
	"time"
)

func TestAt(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		date  Date
		clock string
		want  string
	}{
		{"berlin ordinary", "Europe/Berlin", date(2026, 3, 28), "09:00", "2026-03-28T09:00:00+01:00"},
		{"berlin gap start", "Europe/Berlin", date(2026, 3, 29), "02:00", "2026-03-29T03:00:00+02:00"},
		{"berlin gap moves forward by the gap", "Europe/Berlin", date(2026, 3, 29), "02:30", "2026-03-29T03:30:00+02:00"},
		{"berlin after gap", "Europe/Berlin", date(2026, 3, 29), "03:00", "2026-03-29T03:00:00+02:00"},
		{"berlin before gap", "Europe/Berlin", date(2026, 3, 29), "01:59", "2026-03-29T01:59:00+01:00"},
		{"berlin ambiguous start is first", "Europe/Berlin", date(2026, 10, 25), "02:00", "2026-10-25T02:00:00+02:00"},
		{"berlin ambiguous is first occurrence", "Europe/Berlin", date(2026, 10, 25), "02:30", "2026-10-25T02:30:00+02:00"},
		{"berlin after overlap", "Europe/Berlin", date(2026, 10, 25), "03:00", "2026-10-25T03:00:00+01:00"},
		{"berlin 24:00 is next midnight", "Europe/Berlin", date(2026, 10, 24), "24:00", "2026-10-25T00:00:00+02:00"},
		{"new york gap", "America/New_York", date(2026, 3, 8), "02:30", "2026-03-08T03:30:00-04:00"},
		{"new york ambiguous is first", "America/New_York", date(2026, 11, 1), "01:30", "2026-11-01T01:30:00-04:00"},
		{"new york after overlap", "America/New_York", date(2026, 11, 1), "02:00", "2026-11-01T02:00:00-05:00"},
		{"lord howe 30-minute gap", "Australia/Lord_Howe", date(2026, 10, 4), "02:15", "2026-10-04T02:45:00+11:00"},
		{"lord howe gap end", "Australia/Lord_Howe", date(2026, 10, 4), "02:30", "2026-10-04T02:30:00+11:00"},
		{"lord howe ambiguous is first", "Australia/Lord_Howe", date(2026, 4, 5), "01:45", "2026-04-05T01:45:00+11:00"},
		{"lord howe after overlap", "Australia/Lord_Howe", date(2026, 4, 5), "02:00", "2026-04-05T02:00:00+10:30"},
		{"santiago midnight gap", "America/Santiago", date(2026, 9, 6), "00:30", "2026-09-06T01:30:00-03:00"},
		{"santiago ambiguous 23:30 is first", "America/Santiago", date(2026, 4, 4), "23:30", "2026-04-04T23:30:00-03:00"},
		{"tokyo no dst", "Asia/Tokyo", date(2026, 3, 29), "02:30", "2026-03-29T02:30:00+09:00"},
		{"utc", "UTC", date(2026, 12, 31), "24:00", "2027-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zone(t, tt.zone)
			got := Plan{Zone: loc}.At(tt.date, mustTimeOfDay(tt.clock))
			want := ts(t, tt.want)
			if !got.Equal(want) || got.Location() != loc {
				t.Errorf("At(%s, %s) in %s: got %s (%v), want %s", tt.date, tt.clock, tt.zone, got.Format(time.RFC3339), got.Location(), tt.want)
			}
		})
	}
}

// TestAtEveryQuarterHour checks At's two rules on every quarter hour of 2026
// in zones with 1-hour, 30-minute and midnight DST changes: the answer shows
// the asked wall time and no earlier instant shows it too, or, in a gap, it
// shows the asked time moved forward by exactly the gap.
func TestAtEveryQuarterHour(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC"} {
		loc := zone(t, name)
		p := Plan{Zone: loc}
		civil := func(v time.Time) int64 { _, off := v.Zone(); return v.Unix() + int64(off) }
		gaps := 0
		for d := date(2026, 1, 1); d.Year == 2026; d = d.AddDays(1) {
			for m := 0; m < 24*60; m += 15 {
				c := TimeOfDay{m / 60, m % 60}
				got := p.At(d, c)
				want := d.unixDay() + int64(m)*60
				shown := civil(got)
				switch {
				case shown == want:
					for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
						if civil(got.Add(-back)) == want {
							t.Fatalf("%s %s %s: got %s, but %s earlier also shows that time (want the first occurrence)", name, d, c, got.Format(time.RFC3339), back)
						}
					}
				default:
					_, after := got.Zone()
					_, before := got.Add(-3 * time.Hour).Zone()
					if gap := int64(after - before); gap <= 0 || shown-want != gap {
						t.Fatalf("%s %s %s: got %s, shows %+ds off; want a move forward by the gap (%ds)", name, d, c, got.Format(time.RFC3339), shown-want, gap)
					}
					gaps++
				}
			}
		}
		t.Logf("%s: %d quarter hours in gaps", name, gaps)
	}
}
