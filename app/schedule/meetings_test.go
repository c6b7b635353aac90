package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// berlinWithMeetings is the twice-a-day plan in Berlin (check-ins 11:00 and
// 16:00, focus 09:00–11:00 and 13:30–15:30, work until 17:30) with busy.
func berlinWithMeetings(t *testing.T, m Meetings, busy ...model.Busy) Plan {
	p := TwiceADay(zone(t, "Europe/Berlin"))
	p.Meetings = m
	p.Busy = busy
	return p
}

func meeting(t *testing.T, title, start, end string) model.Busy {
	return model.Busy{Title: title, Start: ts(t, start), End: ts(t, end)}
}

var allOn = Meetings{MoveCheckins: true, Hold: true, AllDay: true}

func TestCheckinMovesToMeetingEnd(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	// Monday 2026-03-02.
	cases := []struct {
		name    string
		m       Meetings
		busy    []model.Busy
		want    []string // check-in instants that happen on the day
		skipped []string // planned instants of skipped check-ins
		words   string   // Words of the first check-in
	}{
		{"no meetings", allOn, nil,
			[]string{"2026-03-02T11:00:00+01:00", "2026-03-02T16:00:00+01:00"}, nil, "11:00"},
		{"inside a meeting", allOn, []model.Busy{meeting(t, "Planning", "2026-03-02T10:30:00+01:00", "2026-03-02T11:20:00+01:00")},
			[]string{"2026-03-02T11:20:00+01:00", "2026-03-02T16:00:00+01:00"}, nil,
			`11:20 (moved from 11:00: meeting "Planning" until 11:20)`},
		{"at the meeting's start", allOn, []model.Busy{meeting(t, "Sync", "2026-03-02T11:00:00+01:00", "2026-03-02T11:30:00+01:00")},
			[]string{"2026-03-02T11:30:00+01:00", "2026-03-02T16:00:00+01:00"}, nil,
			`11:30 (moved from 11:00: meeting "Sync" until 11:30)`},
		{"at the meeting's end stays", allOn, []model.Busy{meeting(t, "Sync", "2026-03-02T10:30:00+01:00", "2026-03-02T11:00:00+01:00")},
			[]string{"2026-03-02T11:00:00+01:00", "2026-03-02T16:00:00+01:00"}, nil, "11:00"},
		{"back-to-back meetings move to the end of the run", allOn, []model.Busy{
			meeting(t, "A", "2026-03-02T10:45:00+01:00", "2026-03-02T11:15:00+01:00"),
			meeting(t, "B", "2026-03-02T11:15:00+01:00", "2026-03-02T11:45:00+01:00"),
			meeting(t, "C", "2026-03-02T11:30:00+01:00", "2026-03-02T11:40:00+01:00"),
		}, []string{"2026-03-02T11:45:00+01:00", "2026-03-02T16:00:00+01:00"}, nil,
			`11:45 (moved from 11:00: meeting "A, B, C" until 11:45)`},
		{"to the end of working hours", allOn, []model.Busy{meeting(t, "Review", "2026-03-02T15:45:00+01:00", "2026-03-02T17:30:00+01:00")},
			[]string{"2026-03-02T11:00:00+01:00", "2026-03-02T17:30:00+01:00"}, nil, "11:00"},
		{"past working hours skips", allOn, []model.Busy{meeting(t, "Offsite", "2026-03-02T15:00:00+01:00", "2026-03-02T19:00:00+01:00")},
			[]string{"2026-03-02T11:00:00+01:00"}, []string{"2026-03-02T16:00:00+01:00"}, "11:00"},
		{"switched off", Meetings{Hold: true}, []model.Busy{meeting(t, "Planning", "2026-03-02T10:30:00+01:00", "2026-03-02T11:20:00+01:00")},
			[]string{"2026-03-02T11:00:00+01:00", "2026-03-02T16:00:00+01:00"}, nil, "11:00"},
		{"all-day busy counts when switched on", allOn, []model.Busy{{Title: "Offsite", AllDay: true,
			Start: ts(t, "2026-03-02T00:00:00+01:00"), End: ts(t, "2026-03-03T00:00:00+01:00")}},
			nil, []string{"2026-03-02T11:00:00+01:00", "2026-03-02T16:00:00+01:00"}, ""},
		{"all-day busy ignored when switched off", Meetings{MoveCheckins: true, Hold: true}, []model.Busy{{Title: "Offsite", AllDay: true,
			Start: ts(t, "2026-03-02T00:00:00+01:00"), End: ts(t, "2026-03-03T00:00:00+01:00")}},
			[]string{"2026-03-02T11:00:00+01:00", "2026-03-02T16:00:00+01:00"}, nil, "11:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := berlinWithMeetings(t, tc.m, tc.busy...)
			from, to := ts(t, "2026-03-02T00:00:00+01:00"), ts(t, "2026-03-03T00:00:00+01:00")
			var got, skipped []string
			for _, c := range p.Checkins(from, to) {
				if c.Skipped {
					skipped = append(skipped, c.Planned.In(loc).Format(time.RFC3339))
					if !strings.Contains(c.Words(loc), "skipped") {
						t.Errorf("skipped check-in's words %q do not say so", c.Words(loc))
					}
					continue
				}
				got = append(got, c.At.In(loc).Format(time.RFC3339))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("check-ins: got %v, want %v", got, tc.want)
			}
			if strings.Join(skipped, " ") != strings.Join(tc.skipped, " ") {
				t.Errorf("skipped: got %v, want %v", skipped, tc.skipped)
			}
			var between []string
			for _, c := range p.CheckinsBetween(from, to) {
				between = append(between, c.In(loc).Format(time.RFC3339))
			}
			if strings.Join(between, " ") != strings.Join(tc.want, " ") {
				t.Errorf("CheckinsBetween: got %v, want %v", between, tc.want)
			}
			if len(tc.want) > 0 {
				c, ok := p.CheckinAt(ts(t, tc.want[0]))
				if !ok {
					t.Fatalf("CheckinAt(%s): none", tc.want[0])
				}
				if w := c.Words(loc); w != tc.words {
					t.Errorf("words: got %q, want %q", w, tc.words)
				}
				// The window opens at the moved time and the gate's walk sees it.
				tr, ok := p.Next(ts(t, tc.want[0]).Add(-time.Second), Overrides{})
				if !ok || !tr.At.Equal(ts(t, tc.want[0])) || tr.Kind != CheckinStart {
					t.Errorf("Next before the check-in: got %v %v, want checkin-start at %s", fmtT(tr.At, loc), tr.Kind, tc.want[0])
				}
			}
		})
	}
}

func TestMeetingHoldsLikeFocus(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	busy := []model.Busy{
		meeting(t, "Standup", "2026-03-02T10:30:00+01:00", "2026-03-02T11:20:00+01:00"), // over the focus block's end and the check-in
		meeting(t, "1:1", "2026-03-02T12:00:00+01:00", "2026-03-02T12:30:00+01:00"),
		meeting(t, "Lunch talk", "2026-03-02T12:30:00+01:00", "2026-03-02T13:00:00+01:00"),
		{Title: "Holiday", AllDay: true, Start: ts(t, "2026-03-03T00:00:00+01:00"), End: ts(t, "2026-03-04T00:00:00+01:00")},
	}
	p := berlinWithMeetings(t, Meetings{MoveCheckins: true, Hold: true}, busy...)
	cases := []struct {
		at, mode, until, reason string
	}{
		{"2026-03-02T10:00:00+01:00", "focus", "2026-03-02T10:30:00+01:00", "focus block 09:00–11:00"},
		{"2026-03-02T10:30:00+01:00", "meeting", "2026-03-02T11:20:00+01:00", "meeting: Standup 10:30–11:20"},
		{"2026-03-02T11:19:00+01:00", "meeting", "2026-03-02T11:20:00+01:00", "meeting: Standup 10:30–11:20"},
		{"2026-03-02T11:20:00+01:00", "window", "2026-03-02T11:50:00+01:00", "check-in window 11:20–11:50"},
		{"2026-03-02T12:10:00+01:00", "meeting", "2026-03-02T13:00:00+01:00", "meeting: 1:1 12:00–12:30"},
		{"2026-03-02T12:40:00+01:00", "meeting", "2026-03-02T13:00:00+01:00", "meeting: Lunch talk 12:30–13:00"},
		{"2026-03-02T13:00:00+01:00", "between", "2026-03-02T13:30:00+01:00", "between check-ins until 13:30"},
		// The all-day event is not counted: AllDay is off.
		{"2026-03-03T10:00:00+01:00", "focus", "2026-03-03T11:00:00+01:00", "focus block 09:00–11:00"},
	}
	for _, tc := range cases {
		st := p.Mode(ts(t, tc.at), Overrides{})
		if st.Mode.String() != tc.mode || !st.Until.Equal(ts(t, tc.until)) || st.Reason != tc.reason {
			t.Errorf("at %s: got %v until %s (%q), want %s until %s (%q)", tc.at, st.Mode, fmtT(st.Until, loc), st.Reason, tc.mode, tc.until, tc.reason)
		}
	}
	// The transitions name what happened.
	tr, _ := p.Next(ts(t, "2026-03-02T10:00:00+01:00"), Overrides{})
	if tr.Kind != MeetingStart || tr.Mode != model.ModeMeeting {
		t.Errorf("Next at 10:00: got %v → %v, want meeting-start", tr.Kind, tr.Mode)
	}
	tr, _ = p.Next(ts(t, "2026-03-02T12:40:00+01:00"), Overrides{})
	if tr.Kind != MeetingEnd || tr.Mode != model.ModeBetween || !tr.At.Equal(ts(t, "2026-03-02T13:00:00+01:00")) {
		t.Errorf("Next at 12:40: got %v → %v at %s, want meeting-end → between at 13:00", tr.Kind, tr.Mode, fmtT(tr.At, loc))
	}
	// "End focus" during a meeting skips it until its end.
	o := Overrides{SkipFocusUntil: ts(t, "2026-03-02T11:20:00+01:00")}
	if st := p.Mode(ts(t, "2026-03-02T10:45:00+01:00"), o); st.Mode != model.ModeBetween {
		t.Errorf("meeting skipped by end focus: got %v, want between", st.Mode)
	}
	// With Hold off the meeting does not change the mode; the move still happens.
	p.Meetings.Hold = false
	if st := p.Mode(ts(t, "2026-03-02T12:10:00+01:00"), Overrides{}); st.Mode != model.ModeBetween {
		t.Errorf("hold off: got %v, want between", st.Mode)
	}
	if _, ok := p.CheckinAt(ts(t, "2026-03-02T11:20:00+01:00")); !ok {
		t.Errorf("hold off: the check-in no longer moves")
	}
	// An all-day busy event holds the whole day when counted.
	p.Meetings = allOn
	if st := p.Mode(ts(t, "2026-03-03T10:00:00+01:00"), Overrides{}); st.Mode != model.ModeMeeting || st.Reason != "meeting: Holiday 00:00–24:00" {
		t.Errorf("all-day busy: got %v (%q), want meeting", st.Mode, st.Reason)
	}
}

// TestMeetingAcrossDSTSeenFromBerlin is the weekly 10:00 New York meeting
// as Berlin sees it in March 2026: the US switches on the 8th, Europe on the
// 29th, so for three weeks it starts at 15:00 in Berlin instead of 16:00 and
// no longer covers the 16:00 check-in. (The calendar source turns the
// recurring event into these instants; connectors/calendar tests that part.)
func TestMeetingAcrossDSTSeenFromBerlin(t *testing.T) {
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	var busy []model.Busy
	for d := time.Date(2026, 3, 2, 10, 0, 0, 0, ny); d.Month() < 5; d = d.AddDate(0, 0, 7) {
		busy = append(busy, model.Busy{Title: "US sync", Start: d, End: d.Add(time.Hour)})
	}
	p := TwiceADay(berlin)
	p.Meetings, p.Busy = allOn, busy
	want := map[string]string{
		"2026-03-02": "17:00 (moved from 16:00: meeting \"US sync\" until 17:00)",
		"2026-03-09": "16:00", "2026-03-16": "16:00", "2026-03-23": "16:00",
		"2026-03-30": "17:00 (moved from 16:00: meeting \"US sync\" until 17:00)",
		"2026-04-06": "17:00 (moved from 16:00: meeting \"US sync\" until 17:00)",
	}
	for day, w := range want {
		d, _ := ParseDate(day)
		from := p.At(d, TimeOfDay{Hour: 12})
		cs := p.Checkins(from, p.At(d, TimeOfDay{Hour: 23}))
		if len(cs) != 1 {
			t.Fatalf("%s: %d afternoon check-ins, want 1", day, len(cs))
		}
		if got := cs[0].Words(berlin); got != w {
			t.Errorf("%s: got %q, want %q", day, got, w)
		}
		st := p.Mode(p.At(d, TimeOfDay{Hour: 15, Minute: 30}), Overrides{})
		inMeeting := day == "2026-03-09" || day == "2026-03-16" || day == "2026-03-23"
		if (st.Mode == model.ModeMeeting) != inMeeting {
			t.Errorf("%s 15:30 Berlin: mode %v, in the meeting: %v", day, st.Mode, inMeeting)
		}
	}
}

func TestPreviewShowsMeetingsAndMovedCheckins(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	p := berlinWithMeetings(t, allOn, meeting(t, "Planning", "2026-03-02T10:30:00+01:00", "2026-03-02T11:20:00+01:00"))
	days := p.Preview(ts(t, "2026-03-02T08:00:00+01:00"), 2)
	if len(days) != 2 {
		t.Fatalf("got %d days", len(days))
	}
	d := days[0]
	if len(d.Meetings) != 1 || d.Meetings[0].Title != "Planning" {
		t.Errorf("meetings: got %+v", d.Meetings)
	}
	if len(d.Checkins) != 2 || !d.Checkins[0].Moved || d.Checkins[0].At.In(loc).Format("15:04") != "11:20" {
		t.Errorf("check-ins: got %+v", d.Checkins)
	}
	var modes []string
	for _, s := range d.Segments {
		modes = append(modes, s.Start.In(loc).Format("15:04")+" "+s.Mode.String())
	}
	want := "00:00 off-hours 09:00 focus 10:30 meeting 11:20 window 11:50 between 13:30 focus 15:30 between 16:00 window 16:30 between 17:30 off-hours"
	if strings.Join(modes, " ") != want {
		t.Errorf("segments:\n got %s\nwant %s", strings.Join(modes, " "), want)
	}
	if len(days[1].Meetings) != 0 || len(days[1].Checkins) != 2 || days[1].Checkins[0].Moved {
		t.Errorf("the next day: got %+v", days[1])
	}
}

func TestFocusBlocks(t *testing.T) {
	loc := zone(t, "Europe/Berlin")
	p := TwiceADay(loc)
	p.Vacations = []DateRange{{From: date(2026, 3, 4), To: date(2026, 3, 4)}}
	// From Monday 10:00 for three days: Monday's first block is still running.
	got := p.FocusBlocks(ts(t, "2026-03-02T10:00:00+01:00"), ts(t, "2026-03-05T10:00:00+01:00"))
	var s []string
	for _, b := range got {
		s = append(s, b.Start.In(loc).Format("Mon 15:04")+"–"+b.End.In(loc).Format("15:04"))
	}
	want := "Mon 09:00–11:00 Mon 13:30–15:30 Tue 09:00–11:00 Tue 13:30–15:30 Thu 09:00–11:00"
	if strings.Join(s, " ") != want {
		t.Errorf("got %s\nwant %s", strings.Join(s, " "), want)
	}
}
