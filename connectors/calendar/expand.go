package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"github.com/sluice-app/sluice/app/model"
)

// FocusUIDPrefix starts the UID of every event Sluice writes (its published
// focus blocks). Sluice removes only events whose UID starts with it, and
// never reads them back as meetings.
const FocusUIDPrefix = "sluice-focus-"

// Filter says whose events are read and how.
type Filter struct {
	// Addresses are the user's own calendar addresses: an event where one
	// of them is an attendee with PARTSTAT=DECLINED is not busy.
	Addresses []string
	// Local is the zone of floating times and all-day dates (the user's).
	Local *time.Location
	// Account is written into every Busy.
	Account string
}

func (f Filter) isMe(calAddress string) bool {
	a := strings.ToLower(strings.TrimSpace(calAddress))
	a = strings.TrimPrefix(a, "mailto:")
	for _, m := range f.Addresses {
		if strings.EqualFold(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(m)), "mailto:"), a) {
			return true
		}
	}
	return false
}

// Expand turns the events of one iCalendar object (a CalDAV resource, or a
// whole .ics feed) into the busy intervals that overlap [from, to):
// recurring events are expanded (RRULE, RDATE, EXDATE, and overrides by
// RECURRENCE-ID), times are read in their own zones (IANA and Windows
// names, or the object's VTIMEZONE), and events that do not make the user
// busy are left out: cancelled ones, free (TRANSP:TRANSPARENT) ones, those
// the user declined, all-day events not marked busy, and Sluice's own focus
// blocks. An event that cannot be read is skipped and reported in the
// joined error; the others are still returned.
func Expand(cal *ical.Calendar, from, to time.Time, f Filter) ([]model.Busy, error) {
	if f.Local == nil {
		f.Local = time.Local
	}
	zs := newZones(cal, f.Local)
	var out []model.Busy
	var errs []error
	for _, s := range eventSeries(cal) {
		if strings.HasPrefix(s.uid, FocusUIDPrefix) {
			continue
		}
		busy, serr := s.busy(zs, from, to, f)
		out = append(out, busy...)
		errs = append(errs, serr...)
	}
	slices.SortStableFunc(out, func(a, b model.Busy) int { return a.Start.Compare(b.Start) })
	return out, errors.Join(errs...)
}

// series is one event of a calendar: its master (nil when only changed
// instances were sent) and the instances that override it.
type series struct {
	uid       string
	master    *ical.Component
	overrides []*ical.Component
}

// eventSeries groups the calendar's events by UID, in the order they
// first appear.
func eventSeries(cal *ical.Calendar) []*series {
	byUID := map[string]*series{}
	var order []*series
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid, _ := c.Props.Text(ical.PropUID)
		s := byUID[uid]
		if s == nil {
			s = &series{uid: uid}
			byUID[uid] = s
			order = append(order, s)
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			s.overrides = append(s.overrides, c)
		} else {
			s.master = c
		}
	}
	return order
}

// busy is the busy time of the series' occurrences in [from, to): its
// overrides, and the master's instances they do not replace. An
// occurrence that cannot be read is left out and said why.
func (s *series) busy(zs *zones, from, to time.Time, f Filter) ([]model.Busy, []error) {
	var out []model.Busy
	var errs []error
	// Instances the overrides replace, by their original instant.
	replaced := map[int64]bool{}
	for _, o := range s.overrides {
		rid, _, err := zs.read(o.Props.Get(ical.PropRecurrenceID))
		if err != nil {
			errs = append(errs, fmt.Errorf("event %q: recurrence-id: %w", s.uid, err))
			continue
		}
		replaced[rid.Unix()] = true
		ev, err := zs.event(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %q: %w", s.uid, err))
			continue
		}
		if ev.end.After(from) && ev.start.Before(to) {
			if b, ok := busyOf(o, ev, f); ok {
				out = append(out, b)
			}
		}
	}
	if s.master == nil {
		return out, errs
	}
	ev, err := zs.event(s.master)
	if err != nil {
		return out, append(errs, fmt.Errorf("event %q: %w", s.uid, err))
	}
	starts, err := zs.instances(s.master, ev, from, to)
	if err != nil {
		return out, append(errs, fmt.Errorf("event %q: %w", s.uid, err))
	}
	for _, st := range starts {
		if replaced[st.start.Unix()] {
			continue
		}
		if st.end.After(from) && st.start.Before(to) {
			if b, ok := busyOf(s.master, st, f); ok {
				out = append(out, b)
			}
		}
	}
	return out, errs
}

// busyOf decides whether one occurrence of an event makes the user busy.
func busyOf(c *ical.Component, ev occurrence, f Filter) (model.Busy, bool) {
	if st, _ := c.Props.Text(ical.PropStatus); strings.EqualFold(st, "CANCELLED") {
		return model.Busy{}, false
	}
	transp, _ := c.Props.Text(ical.PropTransparency)
	cdo, _ := c.Props.Text("X-MICROSOFT-CDO-BUSYSTATUS")
	transp, cdo = strings.ToUpper(strings.TrimSpace(transp)), strings.ToUpper(strings.TrimSpace(cdo))
	if transp == "TRANSPARENT" || cdo == "FREE" || cdo == "WORKINGELSEWHERE" {
		return model.Busy{}, false
	}
	if ev.allDay && transp != "OPAQUE" && cdo != "BUSY" && cdo != "OOF" {
		// All-day events are free unless marked busy: calendar apps create
		// them free (holidays, birthdays, reminders), whatever the RFC's
		// default says.
		return model.Busy{}, false
	}
	for _, a := range c.Props.Values(ical.PropAttendee) {
		if f.isMe(a.Value) && strings.EqualFold(a.Params.Get(ical.ParamParticipationStatus), "DECLINED") {
			return model.Busy{}, false
		}
	}
	title, _ := c.Props.Text(ical.PropSummary)
	return model.Busy{Start: ev.start, End: ev.end, Title: strings.TrimSpace(title), Account: f.Account, AllDay: ev.allDay}, true
}

// occurrence is one instance of an event.
type occurrence struct {
	start, end time.Time
	allDay     bool
	z          zone          // the zone of DTSTART
	wallStart  time.Time     // DTSTART as a floating reading
	dur        time.Duration // exact duration (timed events)
	days       int           // nominal length in days (all-day events)
}

// read parses a DATE or DATE-TIME property in its zone: an instant, its zone
// and whether it is a date.
func (zs *zones) read(p *ical.Prop) (time.Time, zone, error) {
	if p == nil {
		return time.Time{}, nil, errors.New("missing date")
	}
	v := strings.TrimSpace(p.Value)
	isDate := strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(v) == len("20060102")
	w, err := floating(v)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("bad date %q", v)
	}
	var z zone
	switch {
	case isDate:
		z = locZone{zs.local}
	case strings.HasSuffix(v, "Z"):
		z = locZone{time.UTC}
	case p.Params.Get(ical.ParamTimezoneID) != "":
		if z, err = zs.byID(p.Params.Get(ical.ParamTimezoneID)); err != nil {
			return time.Time{}, nil, err
		}
	default:
		z = locZone{zs.local} // floating: the user's own time
	}
	return z.instant(w), z, nil
}

// event reads an event's own start and end.
func (zs *zones) event(c *ical.Component) (occurrence, error) {
	sp := c.Props.Get(ical.PropDateTimeStart)
	start, z, err := zs.read(sp)
	if err != nil {
		return occurrence{}, fmt.Errorf("dtstart: %w", err)
	}
	ev := occurrence{start: start, z: z, wallStart: z.wall(start)}
	ev.allDay = strings.EqualFold(sp.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(sp.Value)) == len("20060102")
	switch {
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		end, ez, err := zs.read(c.Props.Get(ical.PropDateTimeEnd))
		if err != nil {
			return occurrence{}, fmt.Errorf("dtend: %w", err)
		}
		if ev.allDay {
			ev.days = int(ez.wall(end).Sub(ev.wallStart).Round(24*time.Hour) / (24 * time.Hour))
		}
		ev.dur = end.Sub(start)
	case c.Props.Get(ical.PropDuration) != nil:
		d, err := c.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return occurrence{}, fmt.Errorf("duration: %w", err)
		}
		ev.dur = d
		if ev.allDay {
			ev.days = int(d / (24 * time.Hour))
		}
	case ev.allDay:
		ev.days = 1
	}
	if ev.allDay {
		ev.days = max(ev.days, 1)
		ev.end = z.instant(ev.wallStart.AddDate(0, 0, ev.days))
	} else {
		ev.end = start.Add(ev.dur)
	}
	return ev, nil
}

// maxInstances bounds one series' expansion, against absurd rules.
const maxInstances = 5000

// instances lists the occurrences of a master event that may overlap
// [from, to): just the event itself when it does not recur.
func (zs *zones) instances(c *ical.Component, ev occurrence, from, to time.Time) ([]occurrence, error) {
	rp := c.Props.Get(ical.PropRecurrenceRule)
	rdates := c.Props.Values(ical.PropRecurrenceDates)
	if rp == nil && len(rdates) == 0 {
		return []occurrence{ev}, nil
	}
	set := &rrule.Set{}
	set.DTStart(ev.wallStart)
	if rp != nil {
		opt, err := rrule.StrToROption(rp.Value)
		if err != nil {
			return nil, fmt.Errorf("rrule %q: %w", rp.Value, err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, fmt.Errorf("rrule %q: meetings do not recur by the minute", rp.Value)
		}
		opt.Dtstart = ev.wallStart
		if !opt.Until.IsZero() && strings.Contains(strings.ToUpper(rp.Value), "Z") {
			opt.Until = ev.z.wall(opt.Until) // UNTIL in UTC: compare it as a local reading
		}
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("rrule %q: %w", rp.Value, err)
		}
		set.RRule(r)
	} else {
		set.RDate(ev.wallStart) // RDATEs add to DTSTART, which is the first instance
	}
	for _, p := range rdates {
		for _, w := range zs.list(p, ev.z) {
			set.RDate(w)
		}
	}
	for _, p := range c.Props.Values(ical.PropExceptionDates) {
		for _, w := range zs.list(p, ev.z) {
			set.ExDate(w)
		}
	}
	// Readings of the window, wide enough for any UTC offset and the
	// event's own length.
	lo := ev.z.wall(from).Add(-ev.dur - time.Duration(ev.days)*24*time.Hour - 48*time.Hour)
	hi := ev.z.wall(to).Add(48 * time.Hour)
	walls := set.Between(lo, hi, true)
	if len(walls) > maxInstances {
		walls = walls[:maxInstances]
	}
	out := make([]occurrence, 0, len(walls))
	for _, w := range walls {
		o := ev
		o.wallStart = w
		o.start = ev.z.instant(w)
		if ev.allDay {
			o.end = ev.z.instant(w.AddDate(0, 0, ev.days))
		} else {
			o.end = o.start.Add(ev.dur)
		}
		out = append(out, o)
	}
	return out, nil
}

// list reads the comma-separated values of an EXDATE or RDATE as floating
// readings in the event's zone z. PERIOD values count by their start.
func (zs *zones) list(p ical.Prop, z zone) []time.Time {
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "/")
		one := ical.Prop{Name: p.Name, Params: p.Params, Value: v}
		t, _, err := zs.read(&one)
		if err != nil {
			continue
		}
		out = append(out, z.wall(t))
	}
	return out
}
