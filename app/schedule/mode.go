package schedule

import (
	"fmt"
	"slices"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Overrides are the user's manual actions, as absolute instants; the gate
// stores them and passes them in. The zero value means "no override". Each
// is active while now is before its instant, so they never start in the
// future: the gate sets them at the moment the user acts.
type Overrides struct {
	FocusUntil     time.Time // manual focus active while now < FocusUntil
	SkipFocusUntil time.Time // "end focus": scheduled focus blocks and meetings are ignored while now < SkipFocusUntil
	PauseUntil     time.Time // paused while now < PauseUntil
	WindowUntil    time.Time // "check in now" opened a window lasting until this instant
}

// Status is the gate's mode at one instant, with when and why.
type Status struct {
	Mode model.Mode
	// Until is when this mode ends as far as the plan knows: the first
	// instant at which Mode would report another mode. It is zero when the
	// mode does not end within Horizon. Paused and vacation modes always
	// carry their end, however far away.
	Until time.Time
	// Reason is the mode in human words: "focus block 09:00–11:00",
	// "meeting: Standup 10:00–10:30",
	// "check-in window 11:00–11:30", "paused until 14:05", "vacation until
	// 2026-12-31", "off-hours until Mon 09:00", "between check-ins until 13:30".
	Reason string
	// Checkin is the start of the scheduled check-in whose window is open
	// (the latest one, if windows overlap). It is set in ModeWindow only and
	// is zero for a window the user opened by hand.
	Checkin time.Time
}

// TransitionKind says what happens at a Transition.
type TransitionKind uint8

// Transition kinds. The zero value is invalid so that a forgotten kind shows.
const (
	CheckinStart  TransitionKind = iota + 1 // a scheduled check-in starts: release held items
	WindowEnd                               // a scheduled check-in window closes
	FocusStart                              // a scheduled focus block starts
	FocusEnd                                // a scheduled focus block ends
	WorkStart                               // working hours start
	WorkEnd                                 // working hours end
	PauseEnd                                // the user's pause ends
	VacationStart                           // a vacation starts
	VacationEnd                             // a vacation ends
	OverrideEnd                             // manual focus, "end focus" or a manual window runs out
	MeetingStart                            // a meeting starts (Meetings.Hold)
	MeetingEnd                              // the meeting (or a run of back-to-back ones) ends
)

var kindNames = map[TransitionKind]string{
	CheckinStart: "checkin-start", WindowEnd: "window-end", FocusStart: "focus-start",
	FocusEnd: "focus-end", WorkStart: "work-start", WorkEnd: "work-end", PauseEnd: "pause-end",
	VacationStart: "vacation-start", VacationEnd: "vacation-end", OverrideEnd: "override-end",
	MeetingStart: "meeting-start", MeetingEnd: "meeting-end",
}

func (k TransitionKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("transition(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k TransitionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *TransitionKind) UnmarshalText(b []byte) error {
	for v, n := range kindNames {
		if n == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("unknown transition kind %q", b)
}

// Transition is a moment at which the gate must act: the mode changes, or a
// scheduled check-in starts (which releases held items even when the mode
// stays the same, e.g. a check-in during a focus block or a pause).
type Transition struct {
	At   time.Time
	Kind TransitionKind
	Mode model.Mode // the mode right after At
}

// Mode reports the gate's mode at now. The mode is, highest first: paused
// (now < o.PauseUntil); vacation (now inside a vacation's days); meeting
// (inside a busy interval of p.Busy when p.Meetings.Hold, unless
// o.SkipFocusUntil is still ahead); focus (manual focus, or a scheduled focus
// block unless o.SkipFocusUntil is still ahead); window (a scheduled check-in window or a manual one); between
// (inside working hours); off-hours. Scheduled check-ins do not happen during
// a vacation, so their windows do not open either.
func (p Plan) Mode(now time.Time, o Overrides) Status {
	now, o = wall(now), o.wall()
	tl := p.timeline()
	s := tl.eval(now, o)
	st := Status{Mode: s.mode}
	switch s.mode {
	case model.ModePaused:
		st.Until = o.PauseUntil.In(tl.loc) // nothing outranks a pause
	case model.ModeVacation:
		st.Until = s.vac.end // nothing can start above it, it holds to its end
	default:
		for _, t := range tl.candidates(now, o) {
			if tl.eval(t, o).mode != s.mode {
				st.Until = t
				break
			}
		}
	}
	if s.mode == model.ModeWindow && s.window != nil {
		st.Checkin = s.window.start
	}
	st.Reason = tl.reason(now, s, st, o)
	return st
}

// Next reports the first transition strictly after now: the first instant at
// which the mode changes or a scheduled check-in starts. A check-in that
// starts during focus or a pause still counts (it releases held items; the
// mode stays), but no check-in happens during a vacation, and days without
// working hours have none. When a check-in coincides with another change,
// the transition is CheckinStart.
//
// The mode is the same on [now, At) and Mode(At) reports the transition's
// Mode. Next looks Horizon ahead (further only across a vacation) and
// reports false when nothing happens in that time, e.g. for an empty plan.
func (p Plan) Next(now time.Time, o Overrides) (Transition, bool) {
	now, o = wall(now), o.wall()
	tl := p.timeline()
	prev := tl.eval(now, o)
	for _, t := range tl.candidates(now, o) {
		s := tl.eval(t, o)
		if s.checkin != nil || s.mode != prev.mode {
			return Transition{At: t, Kind: kindOf(prev, s), Mode: s.mode}, true
		}
		prev = s
	}
	return Transition{}, false
}

// CheckinsBetween lists the scheduled check-in starts in (from, to], in
// order, leaving out those during a vacation. The gate uses it to find the
// check-ins missed while the machine slept. Only the last Horizon before to
// is searched, so a huge jump costs no more than eight days. A check-in a
// meeting moved is listed at the time it moved to; one a meeting skipped is
// not listed (Checkins lists both, with why).
func (p Plan) CheckinsBetween(from, to time.Time) []time.Time {
	from, to = wall(from), wall(to)
	if lo := to.Add(-Horizon); from.Before(lo) {
		from = lo
	}
	if !to.After(from) {
		return nil
	}
	tl := p.timeline()
	var out []time.Time
	for _, iv := range tl.checkins(from, to) {
		if len(out) == 0 || !out[len(out)-1].Equal(iv.start) {
			out = append(out, iv.start)
		}
	}
	return out
}

// NextCheckin is the first scheduled check-in start strictly after now, with
// its Checkin (Window filled in with DefaultWindow when it was zero). Check-ins
// during vacations are skipped. It reports false when there is none within
// Horizon (not counting the days of a vacation), e.g. for an empty plan.
func (p Plan) NextCheckin(now time.Time) (time.Time, Checkin, bool) {
	tl := p.timeline()
	lo, hi := wall(now), wall(now).Add(Horizon)
	for range 64 { // bounded: each round skips a whole vacation
		if ivs := tl.checkins(lo, hi); len(ivs) > 0 {
			return ivs[0].start, ivs[0].checkin, true
		}
		v, ok := tl.vacationAt(hi)
		if !ok {
			break
		}
		lo, hi = v.end.Add(-time.Nanosecond), v.end.Add(Horizon)
	}
	return time.Time{}, Checkin{}, false
}

// wall drops t's monotonic clock reading. Two times that both carry one are
// compared by it, but the monotonic clock stops while a laptop sleeps, so a
// pause set before a suspend would seem to last longer than it does. The
// schedule is about wall-clock time, always.
func wall(t time.Time) time.Time { return t.Round(0) }

func (o Overrides) wall() Overrides {
	return Overrides{FocusUntil: wall(o.FocusUntil), SkipFocusUntil: wall(o.SkipFocusUntil), PauseUntil: wall(o.PauseUntil), WindowUntil: wall(o.WindowUntil)}
}

// interval is one span of a plan as real instants, [start, end).
type interval struct {
	start, end time.Time
	checkin    Checkin   // windows only: the check-in, Window filled in
	planned    time.Time // windows only: where the plan puts the check-in, before a meeting moved it
	meeting    *interval // windows: the run of meetings that moved the check-in; meetings: nil
	title      string    // meetings: the event's title; runs: the titles joined
	first      int       // runs: its meetings are timeline.meetings[first:last]
	last       int
}

func (iv *interval) contains(t time.Time) bool { return !t.Before(iv.start) && t.Before(iv.end) }

// dayPlan is one civil date of a plan as intervals.
type dayPlan struct {
	work    []interval
	focus   []interval
	windows []interval // check-in windows, start = check-in (moved by meetings); none during vacations
	skipped []interval // check-ins a meeting running past working hours cancelled (start = planned)
}

// vacation is a merged run of vacation days as instants.
type vacation struct {
	start, end time.Time
	last       Date // the last day, inclusive
}

// timeline evaluates a plan around some instants, building each civil date's
// intervals once.
type timeline struct {
	p        Plan
	loc      *time.Location
	days     map[Date]*dayPlan
	vacs     []vacation // sorted, merged where they touch
	meetings []interval // the busy intervals that count, by start
	runs     []interval // meetings merged where they overlap or touch, by start
}

func (p Plan) timeline() *timeline {
	tl := &timeline{p: p, loc: p.zone(), days: map[Date]*dayPlan{}}
	tl.meetings, tl.runs = p.meetingIntervals()
	var vs []vacation
	for _, v := range p.Vacations {
		if !v.From.valid() || !v.To.valid() || v.From.Compare(v.To) > 0 {
			continue // Validate reports it; an invalid range holds nothing
		}
		vs = append(vs, vacation{start: p.At(v.From, TimeOfDay{}), end: p.At(v.To.AddDays(1), TimeOfDay{}), last: v.To})
	}
	slices.SortFunc(vs, func(a, b vacation) int { return a.start.Compare(b.start) })
	for _, v := range vs {
		if n := len(tl.vacs); n > 0 && !v.start.After(tl.vacs[n-1].end) {
			cur := &tl.vacs[n-1]
			if v.end.After(cur.end) {
				cur.end = v.end
			}
			if v.last.Compare(cur.last) > 0 {
				cur.last = v.last
			}
			continue
		}
		tl.vacs = append(tl.vacs, v)
	}
	return tl
}

// vacationAt returns the vacation that t falls in.
func (tl *timeline) vacationAt(t time.Time) (vacation, bool) {
	for _, v := range tl.vacs {
		if !t.Before(v.start) && t.Before(v.end) {
			return v, true
		}
	}
	return vacation{}, false
}

// span turns a span starting on d into an interval. A span that comes out
// empty because both ends fall into or around a DST gap (02:30–03:00 on a
// Berlin spring-forward day) is dropped.
func (tl *timeline) span(d Date, s Span) (interval, bool) {
	endDay := d
	if s.crossesMidnight() {
		endDay = d.AddDays(1)
	}
	iv := interval{start: tl.p.At(d, s.Start), end: tl.p.At(endDay, s.End)}
	return iv, iv.end.After(iv.start)
}

// day returns d's intervals.
func (tl *timeline) day(d Date) *dayPlan {
	if dp, ok := tl.days[d]; ok {
		return dp
	}
	day := tl.p.Week[d.Weekday()]
	dp := &dayPlan{}
	if day.Work != nil {
		work, workOK := tl.span(d, *day.Work)
		if workOK {
			dp.work = append(dp.work, work)
		}
		for _, c := range day.Checkins {
			on := d
			if day.Work.crossesMidnight() && c.At.minutes() < day.Work.Start.minutes() {
				on = d.AddDays(1) // a night shift's check-in after midnight
			}
			start := tl.p.At(on, c.At)
			if _, inVacation := tl.vacationAt(start); inVacation {
				continue
			}
			c.Window = Duration{c.window()}
			iv := interval{start: start, checkin: c, planned: start}
			if run := tl.runAt(start); run != nil && tl.p.Meetings.MoveCheckins {
				// A check-in inside a meeting moves to the end of the
				// meeting (of the run of back-to-back meetings), as long as
				// that is still within the working day; otherwise there is
				// no check-in this time and held items wait for the next.
				iv.meeting = run
				if !workOK || run.end.After(work.end) {
					dp.skipped = append(dp.skipped, iv)
					continue
				}
				iv.start = run.end
			}
			iv.end = iv.start.Add(c.Window.Duration)
			dp.windows = append(dp.windows, iv)
		}
	}
	for _, f := range day.Focus {
		if iv, ok := tl.span(d, f); ok {
			dp.focus = append(dp.focus, iv)
		}
	}
	tl.days[d] = dp
	return dp
}

// lookBack is how many days before an instant's date may hold an interval
// still running at it: spans last at most a day (plus a DST hour), a night
// shift's check-in falls on the next day and its window adds up to 12h.
const lookBack = 3

// state is everything about one instant that decides the mode.
type state struct {
	mode                model.Mode
	paused, manualFocus bool
	manualWindow, work  bool
	focus               *interval // the latest-started scheduled focus block in force
	meeting             *interval // the latest-started meeting in force (Meetings.Hold)
	meetingStart        bool      // a meeting starts exactly now
	window              *interval // the latest-started scheduled check-in window open
	checkin             *interval // a scheduled check-in starting exactly now
	focusStart          bool      // a scheduled focus block starts exactly now
	vacation            bool
	vac                 vacation
}

func (tl *timeline) eval(t time.Time, o Overrides) state {
	s := state{
		paused:       t.Before(o.PauseUntil),
		manualFocus:  t.Before(o.FocusUntil),
		manualWindow: t.Before(o.WindowUntil),
	}
	s.vac, s.vacation = tl.vacationAt(t)
	skip := t.Before(o.SkipFocusUntil)
	today := DateOf(t.In(tl.loc))
	for i := -lookBack; i <= 0; i++ {
		dp := tl.day(today.AddDays(i))
		for k := range dp.work {
			s.work = s.work || dp.work[k].contains(t)
		}
		for k := range dp.focus {
			iv := &dp.focus[k]
			s.focusStart = s.focusStart || iv.start.Equal(t)
			if !skip && iv.contains(t) && (s.focus == nil || iv.start.After(s.focus.start)) {
				s.focus = iv
			}
		}
		for k := range dp.windows {
			iv := &dp.windows[k]
			if iv.start.Equal(t) {
				s.checkin = iv
			}
			if iv.contains(t) && (s.window == nil || iv.start.After(s.window.start)) {
				s.window = iv
			}
		}
	}
	if tl.p.Meetings.Hold {
		if run := tl.runAt(t); run != nil {
			for k := run.first; k < run.last; k++ {
				iv := &tl.meetings[k]
				s.meetingStart = s.meetingStart || iv.start.Equal(t)
				if !skip && iv.contains(t) && (s.meeting == nil || iv.start.After(s.meeting.start)) {
					s.meeting = iv
				}
			}
		}
	}
	switch {
	case s.paused:
		s.mode = model.ModePaused
	case s.vacation:
		s.mode = model.ModeVacation
	case s.meeting != nil:
		s.mode = model.ModeMeeting
	case s.manualFocus || s.focus != nil:
		s.mode = model.ModeFocus
	case s.window != nil || s.manualWindow:
		s.mode = model.ModeWindow
	case s.work:
		s.mode = model.ModeBetween
	default:
		s.mode = model.ModeOffHours
	}
	return s
}

// candidates lists, in order, every instant in (now, limit] at which the mode
// may change or a check-in may start: the ends of all intervals, overrides
// and vacations. limit is now+Horizon, or the end of the vacation that
// now+Horizon falls in: inside a vacation only a pause's end matters, so the
// list stays complete without building the vacation's days.
func (tl *timeline) candidates(now time.Time, o Overrides) []time.Time {
	horizon := now.Add(Horizon)
	limit := horizon
	if v, ok := tl.vacationAt(horizon); ok {
		limit = v.end
	}
	var out []time.Time
	add := func(t, lim time.Time) {
		if t.After(now) && !t.After(lim) {
			out = append(out, t.In(tl.loc))
		}
	}
	last := DateOf(horizon.In(tl.loc))
	for d := DateOf(now.In(tl.loc)).AddDays(-lookBack); d.Compare(last) <= 0; d = d.AddDays(1) {
		dp := tl.day(d)
		for _, ivs := range [][]interval{dp.work, dp.focus, dp.windows} {
			for _, iv := range ivs {
				add(iv.start, horizon)
				add(iv.end, horizon)
			}
		}
	}
	if tl.p.Meetings.Hold {
		// The mode can change only where a run of meetings starts or ends.
		for k := tl.firstRunEndingAfter(now); k < len(tl.runs) && !tl.runs[k].start.After(horizon); k++ {
			add(tl.runs[k].start, horizon)
			add(tl.runs[k].end, horizon)
		}
	}
	for _, t := range []time.Time{o.FocusUntil, o.SkipFocusUntil, o.PauseUntil, o.WindowUntil} {
		add(t, limit)
	}
	for _, v := range tl.vacs {
		add(v.start, limit)
		add(v.end, limit)
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// checkins lists the scheduled check-in windows starting in (from, to], by start.
func (tl *timeline) checkins(from, to time.Time) []interval {
	var out []interval
	last := DateOf(to.In(tl.loc))
	for d := DateOf(from.In(tl.loc)).AddDays(-lookBack); d.Compare(last) <= 0; d = d.AddDays(1) {
		for _, iv := range tl.day(d).windows {
			if iv.start.After(from) && !iv.start.After(to) {
				out = append(out, iv)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b interval) int { return a.start.Compare(b.start) })
	return out
}

// kindOf names the transition from state a (just before) to b (at the instant).
func kindOf(a, b state) TransitionKind {
	if b.checkin != nil {
		return CheckinStart
	}
	if b.mode > a.mode { // something higher began
		switch b.mode {
		case model.ModeVacation:
			return VacationStart
		case model.ModeMeeting:
			if b.meetingStart {
				return MeetingStart
			}
			return OverrideEnd // "end focus" ran out inside a meeting
		case model.ModeFocus:
			if b.focusStart {
				return FocusStart
			}
			return OverrideEnd // "end focus" ran out inside a block
		case model.ModeBetween:
			return WorkStart
		}
		return OverrideEnd
	}
	switch a.mode { // what held the mode before ended
	case model.ModePaused:
		return PauseEnd
	case model.ModeVacation:
		return VacationEnd
	case model.ModeMeeting:
		return MeetingEnd
	case model.ModeFocus:
		if a.focus != nil {
			return FocusEnd
		}
	case model.ModeWindow:
		if a.window != nil {
			return WindowEnd
		}
	case model.ModeBetween:
		return WorkEnd
	}
	return OverrideEnd
}

// label names an interval by what the wall clock shows at its ends
// ("09:00–11:00"), which differs from the configured clocks only on DST days
// (a check-in set for 02:30 in the spring gap reads "03:30–04:00"). An end at
// the following midnight reads "24:00", as the user would have written it.
func (iv *interval) label() string {
	e := iv.end.Format("15:04")
	if e == "00:00" && DateOf(iv.end) != DateOf(iv.start) {
		e = "24:00"
	}
	return iv.start.Format("15:04") + "–" + e
}

// reason puts a status into words.
func (tl *timeline) reason(now time.Time, s state, st Status, o Overrides) string {
	until := func(prefix string) string {
		if st.Until.IsZero() {
			return prefix
		}
		return prefix + " until " + tl.when(now, st.Until)
	}
	switch s.mode {
	case model.ModePaused:
		return "paused until " + tl.when(now, o.PauseUntil)
	case model.ModeVacation:
		return "vacation until " + s.vac.last.String()
	case model.ModeMeeting:
		return s.meeting.meetingWords()
	case model.ModeFocus:
		if s.manualFocus || s.focus == nil {
			return until("focus")
		}
		return "focus block " + s.focus.label()
	case model.ModeWindow:
		if s.window != nil {
			return "check-in window " + s.window.label()
		}
		return "check-in window until " + tl.when(now, o.WindowUntil)
	case model.ModeBetween:
		return until("between check-ins")
	}
	return until("off-hours")
}

// when formats t for a reason: "14:05" today, "Mon 09:00" within the week,
// the full date further away.
func (tl *timeline) when(now, t time.Time) string {
	n, u := now.In(tl.loc), t.In(tl.loc)
	switch {
	case DateOf(n) == DateOf(u):
		return u.Format("15:04")
	case u.After(n) && u.Sub(n) < 6*24*time.Hour:
		return u.Format("Mon 15:04")
	}
	return u.Format("2006-01-02 15:04")
}
