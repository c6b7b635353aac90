package schedule

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors for what callers may test with errors.Is. The messages
// users see come from the wrapping errors, which name the value and field.
var (
	ErrBadTimeOfDay = errors.New("not a time of day")
	ErrBadDuration  = errors.New("not a duration")
	ErrBadDate      = errors.New("not a date")
)

// valueError reads as its own message but matches a sentinel, so that a user
// sees "25:00 is not a time" and a caller can still test errors.Is.
type valueError struct {
	msg  string
	kind error
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.kind }

func badValue(kind error, format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// TimeOfDay is a wall-clock time of day with minute precision, written "HH:MM".
// "24:00" parses (it is the end of a day) but Plan.Validate accepts it only
// as the end of a span; everywhere else a time of day lies in 00:00–23:59.
type TimeOfDay struct{ Hour, Minute int }

// ParseTimeOfDay parses "HH:MM" (a one-digit hour such as "9:00" is accepted too;
// surrounding spaces are ignored). "24:00" is accepted; see TimeOfDay.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t := strings.TrimSpace(s)
	h, m, ok := strings.Cut(t, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return TimeOfDay{}, badValue(ErrBadTimeOfDay, "%q is not a time (want HH:MM)", s)
	}
	hour, _ := strconv.Atoi(h)
	minute, _ := strconv.Atoi(m)
	c := TimeOfDay{Hour: hour, Minute: minute}
	if !c.valid(true) {
		return TimeOfDay{}, badValue(ErrBadTimeOfDay, "%q is not a time (want 00:00–23:59)", s)
	}
	return c, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// valid reports whether c is a time of day; end allows "24:00".
func (c TimeOfDay) valid(end bool) bool {
	if c.Hour == 24 && c.Minute == 0 {
		return end
	}
	return c.Hour >= 0 && c.Hour < 24 && c.Minute >= 0 && c.Minute < 60
}

// minutes is c as minutes after midnight (1440 for "24:00").
func (c TimeOfDay) minutes() int { return c.Hour*60 + c.Minute }

// String formats c as "HH:MM". An invalid time is formatted all the same
// ("25:00"), so that error messages can show what was given.
func (c TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// MarshalText implements encoding.TextMarshaler; it refuses an invalid time
// so that a config file is never written with a value it cannot read back.
func (c TimeOfDay) MarshalText() ([]byte, error) {
	if !c.valid(true) {
		return nil, badValue(ErrBadTimeOfDay, "%s is not a time", c)
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Duration is a time.Duration written as Go writes durations but without
// zero units: "30m", "1h30m", "45s". It exists so that config files and JSON
// carry durations as text rather than nanoseconds.
type Duration struct{ time.Duration }

// ParseDuration parses a Go duration ("30m", "1h30m", "90s").
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return Duration{}, badValue(ErrBadDuration, "%q is not a duration (want e.g. 30m or 1h30m)", s)
	}
	return Duration{d}, nil
}

// String formats d without zero units ("1h30m" rather than "1h30m0s").
func (d Duration) String() string {
	v := d.Duration
	if v == 0 {
		return "0s"
	}
	if v%time.Second != 0 {
		return v.String() // sub-second precision: Go's form is exact
	}
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	if h := v / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := v % time.Hour / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s := v % time.Minute / time.Second; s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Date is a civil date, written "2026-12-24". It has no zone: a plan reads it
// as whole days in its own zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, badValue(ErrBadDate, "%q is not a date (want YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// DateOf is the civil date of t in t's own location; call t.In(zone) first to
// get the date somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// valid reports whether d names a real day of years 0–9999 (the years "YYYY"
// can write).
func (d Date) valid() bool {
	if d.Year < 0 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)) == d
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MarshalText implements encoding.TextMarshaler; it refuses a date that does
// not exist so that it is never written where it cannot be read back.
func (d Date) MarshalText() ([]byte, error) {
	if !d.valid() {
		return nil, badValue(ErrBadDate, "%s is not a date", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday is the day of the week d falls on.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return cmp.Or(cmp.Compare(d.Year, e.Year), cmp.Compare(d.Month, e.Month), cmp.Compare(d.Day, e.Day))
}

// unixDay is the Unix time of d's midnight as if d were in UTC; adding
// wall-clock seconds to it gives the "civil seconds" that resolveWall maps to
// an instant in a zone.
func (d Date) unixDay() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()
}

// DateRange is an inclusive range of civil dates; a plan reads it as whole
// days in its zone, from From's midnight to the midnight after To.
type DateRange struct {
	From Date `toml:"from" json:"from"`
	To   Date `toml:"to" json:"to"`
}
