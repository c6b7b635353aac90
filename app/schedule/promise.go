package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PromiseKind says how a Promise counts.
type PromiseKind uint8

// Promise kinds. The zero value is invalid so that a forgotten kind shows.
const (
	// PromiseDuration: within a fixed time after the message arrived,
	// every hour counted ("24h", weekends included).
	PromiseDuration PromiseKind = iota + 1
	// PromiseNextCheckin: by the end of the window of the first check-in
	// after the message arrived.
	PromiseNextCheckin
	// PromiseWorkingDays: by the same time of day N working days later,
	// counted from the first working moment at or after arrival.
	PromiseWorkingDays
)

// DefaultPromise is the promise of a config that names none.
const DefaultPromise = "24h"

// MaxPromiseDuration and MaxPromiseDays bound what ParsePromise accepts.
const (
	MaxPromiseDuration = 31 * 24 * time.Hour
	MaxPromiseDays     = 30
)

// ErrBadPromise is wrapped by ParsePromise's errors.
var ErrBadPromise = errors.New("not a reply promise")

// Promise is how soon the user answers a message: the `[promise]
// reply_within` setting. Its zero value is invalid; ParsePromise makes one.
type Promise struct {
	Kind     PromiseKind
	Duration time.Duration // PromiseDuration
	Days     int           // PromiseWorkingDays
}

// ParsePromise reads "next-checkin", a duration ("24h", "4h30m") or "N
// working days" ("1 working day", "2 working days").
func ParsePromise(s string) (Promise, error) {
	t := strings.ToLower(strings.Join(strings.Fields(s), " "))
	switch t {
	case "next-checkin", "next checkin", "next check-in":
		return Promise{Kind: PromiseNextCheckin}, nil
	case "":
		return Promise{}, badValue(ErrBadPromise, "empty (want next-checkin, a duration such as 24h, or N working days)")
	}
	if n, rest, ok := strings.Cut(t, " "); ok {
		days, err := strconv.Atoi(n)
		if err != nil || (rest != "working days" && rest != "working day") {
			return Promise{}, badValue(ErrBadPromise, "%q is not a promise (want next-checkin, a duration such as 24h, or N working days)", s)
		}
		if days < 1 || days > MaxPromiseDays {
			return Promise{}, badValue(ErrBadPromise, "%q: want 1 to %d working days", s, MaxPromiseDays)
		}
		return Promise{Kind: PromiseWorkingDays, Days: days}, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return Promise{}, badValue(ErrBadPromise, "%q is not a promise (want next-checkin, a duration such as 24h, or N working days)", s)
	}
	if d < time.Minute || d > MaxPromiseDuration {
		return Promise{}, badValue(ErrBadPromise, "%q: want a duration from 1m to %s", s, Duration{MaxPromiseDuration})
	}
	return Promise{Kind: PromiseDuration, Duration: d}, nil
}

// String is the promise as the config writes it: "24h", "next-checkin",
// "2 working days".
func (p Promise) String() string {
	switch p.Kind {
	case PromiseDuration:
		return Duration{p.Duration}.String()
	case PromiseNextCheckin:
		return "next-checkin"
	case PromiseWorkingDays:
		if p.Days == 1 {
			return "1 working day"
		}
		return fmt.Sprintf("%d working days", p.Days)
	}
	return "invalid promise"
}

// Words is the promise as a person says it: "within 24 hours", "by the
// next check-in", "within 2 working days".
func (p Promise) Words() string {
	switch p.Kind {
	case PromiseDuration:
		d := p.Duration
		switch {
		case d == time.Hour:
			return "within an hour"
		case d%time.Hour == 0:
			return fmt.Sprintf("within %d hours", d/time.Hour)
		case d < time.Hour && d%time.Minute == 0:
			return fmt.Sprintf("within %d minutes", d/time.Minute)
		}
		return "within " + Duration{d}.String()
	case PromiseNextCheckin:
		return "by the next check-in"
	case PromiseWorkingDays:
		if p.Days == 1 {
			return "within a working day"
		}
		return fmt.Sprintf("within %d working days", p.Days)
	}
	return "invalid promise"
}

// MarshalText implements encoding.TextMarshaler.
func (p Promise) MarshalText() ([]byte, error) {
	if p.Kind == 0 {
		return nil, errors.New("invalid promise")
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Promise) UnmarshalText(b []byte) error {
	v, err := ParsePromise(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// dueReach is how far Due looks for working time or a check-in: past the
// longest vacation anyone takes, not forever for a plan without any.
const dueReach = 400

// Due is when a reply to a message that arrived at received falls due
// under promise pr. It reports false when the plan gives no answer: no
// check-in or no working day within a year (an empty plan).
//
// Working time is the plan's working hours on days outside vacations, in
// the plan's zone; meetings change nothing here (a meeting that moves a
// check-in does not move the promise). A due time is a wall-clock time,
// so it keeps its hour across a change of daylight saving time.
func (p Plan) Due(pr Promise, received time.Time) (time.Time, bool) {
	received = wall(received)
	p.Busy, p.Meetings = nil, Meetings{}
	switch pr.Kind {
	case PromiseDuration:
		return received.Add(pr.Duration).In(p.zone()), true
	case PromiseNextCheckin:
		start, c, ok := p.NextCheckin(received)
		if !ok {
			return time.Time{}, false
		}
		return start.Add(c.Window.Duration), true
	case PromiseWorkingDays:
		return p.workingDaysDue(received, pr.Days)
	}
	return time.Time{}, false
}

// workingSpan is one stretch of working hours, [start, end), on the
// date its span starts on.
type workingSpan struct {
	date       Date
	start, end time.Time
}

// workSpans lists the working hours of date d that lie outside vacations.
func (tl *timeline) workSpans(d Date) []workingSpan {
	var out []workingSpan
	for _, iv := range tl.day(d).work {
		if _, inVacation := tl.vacationAt(iv.start); inVacation {
			continue
		}
		out = append(out, workingSpan{date: d, start: iv.start, end: iv.end})
	}
	return out
}

// nextWorking is the working span that t lies in or, failing that, the
// first one after t, with the instant in it where counting starts.
func (tl *timeline) nextWorking(t time.Time) (workingSpan, time.Time, bool) {
	first := DateOf(t.In(tl.loc)).AddDays(-1) // a night shift from the day before
	for i := range dueReach {
		for _, ws := range tl.workSpans(first.AddDays(i)) {
			switch {
			case !t.Before(ws.start) && t.Before(ws.end):
				return ws, t, true
			case ws.start.After(t):
				return ws, ws.start, true
			}
		}
	}
	return workingSpan{}, time.Time{}, false
}

// workingDaysDue counts n working days on from the first working moment
// at or after received: the due time is the same time of day on the n-th
// working day after that one, moved into that day's working hours when
// they are shorter or start later.
func (p Plan) workingDaysDue(received time.Time, n int) (time.Time, bool) {
	tl := p.timeline()
	ws, from, ok := tl.nextWorking(received)
	if !ok {
		return time.Time{}, false
	}
	// The time of day to keep, as minutes (and the rest) after the
	// midnight that began the span's date.
	local := from.In(tl.loc)
	offset := local.Hour()*60 + local.Minute()
	if DateOf(local) != ws.date {
		offset += 24 * 60 // a night shift, after midnight
	}
	rest := time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	d := ws.date
	for left := n; ; {
		d = d.AddDays(1)
		if d.Compare(ws.date.AddDays(dueReach)) > 0 {
			return time.Time{}, false
		}
		spans := tl.workSpans(d)
		if len(spans) == 0 {
			continue
		}
		if left--; left > 0 {
			continue
		}
		want := p.At(d.AddDays(offset/(24*60)), TimeOfDay{Hour: offset % (24 * 60) / 60, Minute: offset % 60}).Add(rest)
		first, last := spans[0], spans[len(spans)-1]
		switch {
		case want.Before(first.start):
			return first.start, true
		case !want.Before(last.end):
			return last.end, true
		}
		return want, true
	}
}
