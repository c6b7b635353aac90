package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Meetings says how the meetings on the user's calendar (Plan.Busy) shape
// the day. Each part is a switch of its own; the zero value ignores meetings.
// Which events are meetings at all is the calendar source's business: free
// (transparent), cancelled and declined events never reach Plan.Busy.
type Meetings struct {
	// MoveCheckins moves a check-in that falls inside a meeting to the
	// meeting's end (the end of a run of back-to-back meetings), as long as
	// that is still within the day's working hours. When the meeting runs
	// past them, that check-in does not happen: held items wait for the
	// next one rather than announce themselves in the middle of a meeting.
	MoveCheckins bool `toml:"move_checkins" json:"move_checkins"`
	// Hold makes the gate hold during a meeting as it does during focus
	// (model.ModeMeeting): nothing pops up while the user presents, urgent
	// items still break through.
	Hold bool `toml:"hold" json:"hold"`
	// AllDay counts all-day events that are marked busy (an offsite, "out of
	// office") as meetings; all-day events marked free never count.
	AllDay bool `toml:"all_day" json:"all_day"`
}

// meetingIntervals turns p.Busy into the meetings that count, sorted by
// start, and the runs they form where they overlap or touch.
func (p Plan) meetingIntervals() (meetings, runs []interval) {
	loc := p.zone()
	for _, b := range p.Busy {
		if b.AllDay && !p.Meetings.AllDay {
			continue
		}
		start, end := wall(b.Start).In(loc), wall(b.End).In(loc)
		if !end.After(start) {
			continue
		}
		meetings = append(meetings, interval{start: start, end: end, title: strings.TrimSpace(b.Title)})
	}
	if !slices.IsSortedFunc(meetings, func(a, b interval) int { return a.start.Compare(b.start) }) {
		slices.SortStableFunc(meetings, func(a, b interval) int { return a.start.Compare(b.start) })
	}
	for i, m := range meetings {
		if n := len(runs); n > 0 && !m.start.After(runs[n-1].end) {
			r := &runs[n-1]
			if m.end.After(r.end) {
				r.end = m.end
			}
			r.title = joinTitle(r.title, m.title)
			r.last = i + 1
			continue
		}
		m.first, m.last = i, i+1
		runs = append(runs, m)
	}
	return meetings, runs
}

// firstRunEndingAfter is the index of the first run that ends after t
// (len(runs) when none does). Runs do not overlap, so their ends are in
// order too.
func (tl *timeline) firstRunEndingAfter(t time.Time) int {
	i, _ := slices.BinarySearchFunc(tl.runs, t, func(r interval, t time.Time) int {
		if r.end.After(t) {
			return 1
		}
		return -1
	})
	return i
}

func joinTitle(list, title string) string {
	switch {
	case title == "":
		return list
	case list == "":
		return title
	case slices.Contains(strings.Split(list, ", "), title):
		return list
	}
	return list + ", " + title
}

// runAt returns the run of meetings that t falls in, or nil.
func (tl *timeline) runAt(t time.Time) *interval {
	if k := tl.firstRunEndingAfter(t); k < len(tl.runs) && !tl.runs[k].start.After(t) {
		return &tl.runs[k]
	}
	return nil
}

// meetingWords is the reason of ModeMeeting: `meeting: Standup 10:00–10:30`.
func (iv *interval) meetingWords() string {
	if iv.title == "" {
		return "meeting " + iv.label()
	}
	return "meeting: " + iv.title + " " + iv.label()
}

// ScheduledCheckin is one check-in of the plan as it will happen, after the
// meetings had their say.
type ScheduledCheckin struct {
	// At is when the check-in happens (zero when Skipped).
	At time.Time `json:"at,omitzero"`
	// Planned is when the plan puts it.
	Planned time.Time `json:"planned"`
	// Window is how long new items arrive live after At.
	Window Duration `json:"window"`
	// Moved says a meeting moved it from Planned to At.
	Moved bool `json:"moved,omitempty"`
	// Skipped says it does not happen: the meeting it fell in runs past
	// working hours.
	Skipped bool `json:"skipped,omitempty"`
	// Meeting names the meetings that moved or skipped it, and MeetingEnd
	// says when they end.
	Meeting    string    `json:"meeting,omitempty"`
	MeetingEnd time.Time `json:"meeting_end,omitzero"`
}

// Words says what happens to the check-in, in zone, for the decision log,
// the CLI and the windows: "11:30 (moved from 11:00: meeting "Planning"
// until 11:30)", "16:00 skipped (meeting "Offsite" runs until 19:00, past
// working hours)", or just "11:00".
func (c ScheduledCheckin) Words(zone *time.Location) string {
	if zone == nil {
		zone = time.Local
	}
	hm := func(t time.Time) string { return t.In(zone).Format("15:04") }
	end := hm(c.MeetingEnd)
	if DateOf(c.MeetingEnd.In(zone)) != DateOf(c.Planned.In(zone)) {
		end = c.MeetingEnd.In(zone).Format("Mon 15:04")
	}
	what := "a meeting"
	if c.Meeting != "" {
		what = fmt.Sprintf("meeting %q", c.Meeting)
	}
	switch {
	case c.Skipped:
		return fmt.Sprintf("%s skipped (%s runs until %s, past working hours)", hm(c.Planned), what, end)
	case c.Moved:
		return fmt.Sprintf("%s (moved from %s: %s until %s)", hm(c.At), hm(c.Planned), what, end)
	}
	return hm(c.At)
}

func scheduled(iv interval, skipped bool) ScheduledCheckin {
	c := ScheduledCheckin{Planned: iv.planned, Window: iv.checkin.Window, Skipped: skipped}
	if !skipped {
		c.At = iv.start
	}
	if iv.meeting != nil {
		c.Moved = !skipped
		c.Meeting, c.MeetingEnd = iv.meeting.title, iv.meeting.end
	}
	return c
}

// Checkins lists the scheduled check-ins in (from, to], in order: those
// that happen by the time they happen (after a meeting moved them), those a
// meeting skipped by their planned time. Check-ins during vacations are left
// out, as in CheckinsBetween.
func (p Plan) Checkins(from, to time.Time) []ScheduledCheckin {
	from, to = wall(from), wall(to)
	if !to.After(from) {
		return nil
	}
	tl := p.timeline()
	var out []ScheduledCheckin
	last := DateOf(to.In(tl.loc))
	for d := DateOf(from.In(tl.loc)).AddDays(-lookBack); d.Compare(last) <= 0; d = d.AddDays(1) {
		dp := tl.day(d)
		for _, iv := range dp.windows {
			if iv.start.After(from) && !iv.start.After(to) {
				out = append(out, scheduled(iv, false))
			}
		}
		for _, iv := range dp.skipped {
			if iv.planned.After(from) && !iv.planned.After(to) {
				out = append(out, scheduled(iv, true))
			}
		}
	}
	key := func(c ScheduledCheckin) time.Time {
		if c.Skipped {
			return c.Planned
		}
		return c.At
	}
	slices.SortStableFunc(out, func(a, b ScheduledCheckin) int { return key(a).Compare(key(b)) })
	return out
}

// CheckinAt returns the scheduled check-in that happens at t (the first, if
// moving made two meet), and false when none does.
func (p Plan) CheckinAt(t time.Time) (ScheduledCheckin, bool) {
	t = wall(t)
	for _, c := range p.Checkins(t.Add(-time.Nanosecond), t) {
		if !c.Skipped && c.At.Equal(t) {
			return c, true
		}
	}
	return ScheduledCheckin{}, false
}

// Interval is [Start, End) between two instants.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// FocusBlocks lists the scheduled focus blocks that end after from and
// start before to, in order, leaving out those that start during a vacation.
// These are what Sluice publishes to the user's calendar as busy.
func (p Plan) FocusBlocks(from, to time.Time) []Interval {
	from, to = wall(from), wall(to)
	tl := p.timeline()
	var out []Interval
	last := DateOf(to.In(tl.loc))
	for d := DateOf(from.In(tl.loc)).AddDays(-lookBack); d.Compare(last) <= 0; d = d.AddDays(1) {
		for _, iv := range tl.day(d).focus {
			if !iv.end.After(from) || !iv.start.Before(to) {
				continue
			}
			if _, inVacation := tl.vacationAt(iv.start); inVacation {
				continue
			}
			out = append(out, Interval{Start: iv.start, End: iv.end})
		}
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return out
}

// Segment is a stretch of time in one mode.
type Segment struct {
	Start time.Time  `json:"start"`
	End   time.Time  `json:"end"`
	Mode  model.Mode `json:"mode"`
}

// PreviewDay is one civil day of a plan as the 7-day timeline shows it:
// its modes without manual overrides, its check-ins (moved and skipped ones
// too) and the meetings that count.
type PreviewDay struct {
	Date     Date               `json:"date"`
	Start    time.Time          `json:"start"` // the day's midnight
	End      time.Time          `json:"end"`   // the next midnight (23 or 25 hours later on DST days)
	Segments []Segment          `json:"segments"`
	Checkins []ScheduledCheckin `json:"checkins,omitempty"`
	Meetings []model.Busy       `json:"meetings,omitempty"`
}

// Preview computes days days from now's date on, in the plan's zone, with
// Mode and Next themselves, so it shows exactly what the gate will do.
func (p Plan) Preview(now time.Time, days int) []PreviewDay {
	loc := p.zone()
	today := DateOf(wall(now).In(loc))
	var meetings []model.Busy
	for _, b := range p.Busy {
		if (b.AllDay && !p.Meetings.AllDay) || !b.End.After(b.Start) {
			continue
		}
		b.Start, b.End = wall(b.Start).In(loc), wall(b.End).In(loc)
		meetings = append(meetings, b)
	}
	slices.SortStableFunc(meetings, func(a, b model.Busy) int { return a.Start.Compare(b.Start) })
	out := make([]PreviewDay, 0, days)
	for i := range days {
		date := today.AddDays(i)
		start, end := p.At(date, TimeOfDay{}), p.At(date.AddDays(1), TimeOfDay{})
		pd := PreviewDay{Date: date, Start: start, End: end}
		t := start
		mode := p.Mode(t, Overrides{}).Mode
		for range 400 { // bounded: a day has at most a few dozen transitions
			tr, ok := p.Next(t, Overrides{})
			stop := end
			if ok && tr.At.Before(end) {
				stop = tr.At
			}
			if stop.After(t) {
				if n := len(pd.Segments); n > 0 && pd.Segments[n-1].Mode == mode && pd.Segments[n-1].End.Equal(t) {
					pd.Segments[n-1].End = stop
				} else {
					pd.Segments = append(pd.Segments, Segment{Start: t, End: stop, Mode: mode})
				}
			}
			if !ok || !tr.At.Before(end) {
				break
			}
			t, mode = tr.At, tr.Mode
		}
		pd.Checkins = p.Checkins(start.Add(-time.Nanosecond), end.Add(-time.Nanosecond))
		for _, b := range meetings {
			if b.Start.Before(end) && b.End.After(start) {
				pd.Meetings = append(pd.Meetings, b)
			}
		}
		out = append(out, pd)
	}
	return out
}
