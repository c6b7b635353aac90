// Package schedule is Sluice's schedule maths: from a weekly plan, the
// user's manual overrides and an instant, it tells which mode the gate is in
// (paused, vacation, focus, window, between, off-hours), until when, why,
// and what happens next. It is pure: no goroutines, no clock reads; every
// answer is a function of the plan, `now` and the plan's zone, so tests can
// drive it across days, DST changes and jumps.
//
// All times in a plan are wall-clock times in Plan.Zone. Where a wall time
// does not exist (spring forward) it moves forward by the gap; where it
// exists twice (fall back) it means the first occurrence (see Plan.At).
// Spans, windows and vacations become intervals between real instants: a
// 01:00–04:00 block on a spring-forward day lasts two hours, a 30-minute
// check-in window lasts 30 real minutes. Instants are compared by their wall
// clock reading; monotonic readings are dropped, because the monotonic clock
// stops while a laptop sleeps.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// DefaultWindow is the length of a check-in window whose Window is zero.
const DefaultWindow = 30 * time.Minute

// MaxWindow is the longest check-in window Validate accepts.
const MaxWindow = 12 * time.Hour

// Horizon is how far ahead Mode and Next look for the end of a mode or the
// next transition (further only across a vacation, which is known to hold
// until its last day).
const Horizon = 8 * 24 * time.Hour

// Span is [Start, End) in wall-clock time. End <= Start means the span
// crosses midnight and ends on the next day; End "24:00" ends at the next
// midnight. A span belongs to the day it starts on.
type Span struct {
	Start TimeOfDay `toml:"start" json:"start"`
	End   TimeOfDay `toml:"end" json:"end"`
}

// String formats s as "09:00–11:00".
func (s Span) String() string { return s.Start.String() + "–" + s.End.String() }

// crossesMidnight reports whether s ends on the day after it starts.
func (s Span) crossesMidnight() bool { return s.End.minutes() <= s.Start.minutes() }

// minutes is s as minutes after its day's midnight; end may exceed 1440.
func (s Span) minutes() (start, end int) {
	start, end = s.Start.minutes(), s.End.minutes()
	if end <= start {
		end += 24 * 60
	}
	return start, end
}

// Checkin is a scheduled check-in: at At every held item is released, and
// for Window after it new items arrive live.
type Checkin struct {
	At     TimeOfDay `toml:"at" json:"at"`
	Window Duration  `toml:"window" json:"window"` // 0 means DefaultWindow
}

// window is the effective window length.
func (c Checkin) window() time.Duration {
	if c.Window.Duration == 0 {
		return DefaultWindow
	}
	return c.Window.Duration
}

// Day is one weekday of a plan.
//
// Check-ins happen only on days with working hours and must lie inside them
// (for working hours that cross midnight, a check-in earlier than the start
// is on the next calendar day). A check-in window may run past the end of
// working hours. Focus blocks apply on any day, with or without working
// hours (a Saturday writing block), and may cross midnight. Check-in windows
// may overlap one another or a focus block: focus wins for the mode,
// overlapping windows keep the mode at window until the last one closes, and
// every check-in still happens.
type Day struct {
	Work     *Span     `toml:"work" json:"work,omitempty"` // nil: not a working day
	Checkins []Checkin `toml:"checkins" json:"checkins,omitempty"`
	Focus    []Span    `toml:"focus" json:"focus,omitempty"`
}

// Plan is a user's weekly schedule in one zone, plus vacations, plus the
// meetings on the user's calendar and how they shape the day.
type Plan struct {
	Zone      *time.Location // nil => time.Local
	Week      [7]Day         // indexed by time.Weekday (0 = Sunday)
	Vacations []DateRange
	// Meetings switches how Busy shapes the day; the zero value ignores it.
	Meetings Meetings
	// Busy is the user's busy time from their calendars, in any order; the
	// gate fills it in from the calendar sources (see meetings.go).
	Busy []model.Busy
}

// Errors Validate wraps, for callers that test the kind of mistake.
var (
	ErrEmptySpan       = errors.New("empty span")
	ErrOverlap         = errors.New("overlap")
	ErrOutsideWork     = errors.New("check-in outside working hours")
	ErrBadWindow       = errors.New("bad check-in window")
	ErrDuplicate       = errors.New("duplicate check-in")
	ErrDateOrder       = errors.New("vacation ends before it starts")
	ErrUnknownTemplate = errors.New("unknown template")
)

// FieldError is one mistake in a plan, with the place it was found written
// as a config path ("week.monday.checkins[1].at"). Indices count from 1, in
// the path and in the message alike ("focus[2]: … overlaps focus[1] …"),
// as a person counts the entries of a file. Prefix adds the path of the
// plan itself.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error, which matches one of the sentinels.
func (e *FieldError) Unwrap() error { return e.Err }

// Prefix returns err with path put in front of every FieldError's field
// (path "schedule" turns "week.monday.work" into "schedule.week.monday.work").
// Errors joined with errors.Join stay joined; other errors are wrapped as
// "path: err". A nil err stays nil.
func Prefix(path string, err error) error {
	if err == nil {
		return nil
	}
	if fe, ok := err.(*FieldError); ok {
		return &FieldError{Field: path + "." + fe.Field, Err: fe.Err}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = Prefix(path, e)
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s: %w", path, err)
}

func fieldErr(field string, kind error, format string, args ...any) error {
	return &FieldError{Field: field, Err: badValue(kind, format, args...)}
}

// dayName is the config name of a weekday ("monday").
func dayName(w time.Weekday) string { return strings.ToLower(w.String()) }

// Validate checks the plan and returns every mistake it finds, joined, each
// a *FieldError naming its place ("week.monday.checkins[1].at: 25:00 is not
// a time"). It checks clocks and dates, empty spans, check-ins outside
// working hours or on days without them, duplicate check-ins, window lengths
// (negative or longer than MaxWindow), focus blocks that overlap (also
// across midnight into the next day), working hours that run into the next
// day's, and vacations that end before they start.
func (p Plan) Validate() error {
	var errs []error
	for w := time.Sunday; w <= time.Saturday; w++ {
		errs = append(errs, p.validateDay(w)...)
	}
	for i, v := range p.Vacations {
		f := fmt.Sprintf("vacations[%d]", i+1)
		ok := true
		if !v.From.valid() {
			errs = append(errs, fieldErr(f+".from", ErrBadDate, "%s is not a date", v.From))
			ok = false
		}
		if !v.To.valid() {
			errs = append(errs, fieldErr(f+".to", ErrBadDate, "%s is not a date", v.To))
			ok = false
		}
		if ok && v.From.Compare(v.To) > 0 {
			errs = append(errs, fieldErr(f, ErrDateOrder, "from %s is after to %s", v.From, v.To))
		}
	}
	return errors.Join(errs...)
}

// validSpan checks one span's clocks and that it is not empty.
func validSpan(field string, s Span) []error {
	var errs []error
	if !s.Start.valid(false) {
		errs = append(errs, fieldErr(field+".start", ErrBadTimeOfDay, "%s is not a time (want 00:00–23:59)", s.Start))
	}
	if !s.End.valid(true) {
		errs = append(errs, fieldErr(field+".end", ErrBadTimeOfDay, "%s is not a time (want 00:00–24:00)", s.End))
	}
	if len(errs) == 0 && s.Start == s.End {
		errs = append(errs, fieldErr(field, ErrEmptySpan, "%s is empty (a whole day is 00:00–24:00)", s))
	}
	return errs
}

func (p Plan) validateDay(w time.Weekday) []error {
	d := p.Week[w]
	base := "week." + dayName(w)
	var errs []error

	workOK := false
	if d.Work != nil {
		e := validSpan(base+".work", *d.Work)
		errs = append(errs, e...)
		workOK = len(e) == 0
		if next := p.Week[(w+1)%7].Work; workOK && next != nil && validSpanQuiet(*next) {
			_, end := d.Work.minutes()
			ns, _ := next.minutes()
			if end > 24*60+ns {
				errs = append(errs, fieldErr(base+".work", ErrOverlap, "%s overlaps %s's working hours %s", *d.Work, dayName((w+1)%7), *next))
			}
		}
	}

	seen := map[TimeOfDay]int{}
	for i, c := range d.Checkins {
		f := fmt.Sprintf("%s.checkins[%d]", base, i+1)
		switch {
		case !c.At.valid(false):
			errs = append(errs, fieldErr(f+".at", ErrBadTimeOfDay, "%s is not a time (want 00:00–23:59)", c.At))
		case d.Work == nil:
			errs = append(errs, fieldErr(f+".at", ErrOutsideWork, "check-in %s on a day without working hours", c.At))
		case workOK && !inWork(*d.Work, c.At):
			errs = append(errs, fieldErr(f+".at", ErrOutsideWork, "%s is outside working hours %s", c.At, *d.Work))
		}
		if j, dup := seen[c.At]; dup {
			errs = append(errs, fieldErr(f+".at", ErrDuplicate, "%s is already checkins[%d]", c.At, j+1))
		} else {
			seen[c.At] = i
		}
		if win := c.Window.Duration; win < 0 || win > MaxWindow {
			errs = append(errs, fieldErr(f+".window", ErrBadWindow, "%s is not a window length (want more than 0 and at most %s; 0 means %s)", c.Window, Duration{MaxWindow}, Duration{DefaultWindow}))
		}
	}

	for i, s := range d.Focus {
		f := fmt.Sprintf("%s.focus[%d]", base, i+1)
		if e := validSpan(f, s); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		for j, o := range d.Focus[:i] {
			if validSpanQuiet(o) && overlaps(o, s, 0) {
				errs = append(errs, fieldErr(f, ErrOverlap, "%s overlaps focus[%d] %s", s, j+1, o))
			}
		}
		prev := (w + 6) % 7
		for j, o := range p.Week[prev].Focus {
			if validSpanQuiet(o) && overlaps(o, s, 24*60) {
				errs = append(errs, fieldErr(f, ErrOverlap, "%s overlaps %s's focus[%d] %s", s, dayName(prev), j+1, o))
			}
		}
	}
	return errs
}

// validSpanQuiet reports whether s has valid clocks and is not empty.
func validSpanQuiet(s Span) bool {
	return s.Start.valid(false) && s.End.valid(true) && s.Start != s.End
}

// overlaps reports whether a (from an earlier day) overlaps b, which starts
// shift minutes after a's day began.
func overlaps(a, b Span, shift int) bool {
	as, ae := a.minutes()
	bs, be := b.minutes()
	bs, be = bs+shift, be+shift
	return as < be && bs < ae
}

// inWork reports whether the check-in clock c lies in [work.Start, work.End).
func inWork(work Span, c TimeOfDay) bool {
	s, e := work.minutes()
	m := c.minutes()
	if m < s {
		m += 24 * 60
	}
	return m < e
}

// weekdays builds a week whose Monday to Friday are copies of d (each with
// its own slices, so that editing one day leaves the others alone).
func weekdays(zone *time.Location, d Day) Plan {
	p := Plan{Zone: zone}
	for w := time.Monday; w <= time.Friday; w++ {
		work := *d.Work
		p.Week[w] = Day{Work: &work, Checkins: slices.Clone(d.Checkins), Focus: slices.Clone(d.Focus)}
	}
	return p
}

func clk(h, m int) TimeOfDay { return TimeOfDay{Hour: h, Minute: m} }

func checkin(h, m int) Checkin { return Checkin{At: clk(h, m), Window: Duration{DefaultWindow}} }

// TwiceADay is the "twice a day" template: Monday to Friday, work
// 09:00–17:30, check-ins at 11:00 and 16:00 (30 minutes each), focus
// 09:00–11:00 and 13:30–15:30.
func TwiceADay(zone *time.Location) Plan {
	return weekdays(zone, Day{
		Work:     &Span{clk(9, 0), clk(17, 30)},
		Checkins: []Checkin{checkin(11, 0), checkin(16, 0)},
		Focus:    []Span{{clk(9, 0), clk(11, 0)}, {clk(13, 30), clk(15, 30)}},
	})
}

// ThreeTimesADay is the "three times a day" template: Monday to Friday,
// work 09:00–17:30, check-ins at 09:00, 13:00 and 16:30 (30 minutes each),
// focus 09:30–12:30 and 14:00–16:30.
func ThreeTimesADay(zone *time.Location) Plan {
	return weekdays(zone, Day{
		Work:     &Span{clk(9, 0), clk(17, 30)},
		Checkins: []Checkin{checkin(9, 0), checkin(13, 0), checkin(16, 30)},
		Focus:    []Span{{clk(9, 30), clk(12, 30)}, {clk(14, 0), clk(16, 30)}},
	})
}

// MakersDay is the "maker's day" template: Monday to Friday, work
// 09:00–17:30, check-ins at 12:30 and 17:00 (30 minutes each), focus
// 09:00–12:30 and 13:30–17:00.
func MakersDay(zone *time.Location) Plan {
	return weekdays(zone, Day{
		Work:     &Span{clk(9, 0), clk(17, 30)},
		Checkins: []Checkin{checkin(12, 30), checkin(17, 0)},
		Focus:    []Span{{clk(9, 0), clk(12, 30)}, {clk(13, 30), clk(17, 0)}},
	})
}

// TemplateNames lists the names Template accepts, in the order a settings
// window should offer them.
func TemplateNames() []string { return []string{"twice-a-day", "three-times-a-day", "makers-day"} }

// Template returns the named template ("twice-a-day", "three-times-a-day",
// "makers-day") in zone.
func Template(name string, zone *time.Location) (Plan, error) {
	switch name {
	case "twice-a-day":
		return TwiceADay(zone), nil
	case "three-times-a-day":
		return ThreeTimesADay(zone), nil
	case "makers-day":
		return MakersDay(zone), nil
	}
	return Plan{}, fmt.Errorf("template %q: %w (want one of %s)", name, ErrUnknownTemplate, strings.Join(TemplateNames(), ", "))
}
