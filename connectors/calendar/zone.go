package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// zone maps between instants and wall-clock readings of one time zone.
// Recurrences are expanded on wall-clock readings written as UTC times
// ("floating"), so a weekly 10:00 meeting stays at 10:00 across its own
// zone's DST changes, and only then turned into instants.
type zone interface {
	// instant is the instant that shows wall (a floating reading).
	instant(wall time.Time) time.Time
	// wall is the floating reading of t.
	wall(t time.Time) time.Time
}

// locZone is a zone from Go's database.
type locZone struct{ loc *time.Location }

// instant decides what time.Date leaves open, the same way as the
// schedule does: a reading in a spring-forward gap moves forward by the
// gap, an ambiguous one (fall back) means its first occurrence.
func (z locZone) instant(w time.Time) time.Time {
	const reach = 26 * 60 * 60
	wu := w.Unix()
	_, before := time.Unix(wu-reach, 0).In(z.loc).Zone()
	_, after := time.Unix(wu+reach, 0).In(z.loc).Zone()
	var best int64
	found := false
	for _, off := range []int{before, after} {
		u := wu - int64(off)
		if _, o := time.Unix(u, 0).In(z.loc).Zone(); o == off && (!found || u < best) {
			best, found = u, true
		}
	}
	if !found { // in the gap: the offset from before it lands after the change
		best = wu - int64(before)
	}
	return time.Unix(best, int64(w.Nanosecond())).In(z.loc)
}

func (z locZone) wall(t time.Time) time.Time {
	l := t.In(z.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// windowsZones maps the Windows zone names Outlook and Exchange write as
// TZIDs to IANA zones (the common ones, after CLDR's windowsZones.xml).
var windowsZones = map[string]string{
	"UTC": "UTC", "Coordinated Universal Time": "UTC", "GMT Standard Time": "Europe/London",
	"Greenwich Standard Time": "Atlantic/Reykjavik", "W. Europe Standard Time": "Europe/Berlin",
	"Central Europe Standard Time": "Europe/Budapest", "Romance Standard Time": "Europe/Paris",
	"Central European Standard Time": "Europe/Warsaw", "E. Europe Standard Time": "Europe/Chisinau",
	"FLE Standard Time": "Europe/Kiev", "GTB Standard Time": "Europe/Bucharest",
	"Russian Standard Time": "Europe/Moscow", "Turkey Standard Time": "Europe/Istanbul",
	"Israel Standard Time": "Asia/Jerusalem", "Egypt Standard Time": "Africa/Cairo",
	"South Africa Standard Time": "Africa/Johannesburg", "W. Central Africa Standard Time": "Africa/Lagos",
	"Arabian Standard Time": "Asia/Dubai", "Pakistan Standard Time": "Asia/Karachi",
	"India Standard Time": "Asia/Kolkata", "SE Asia Standard Time": "Asia/Bangkok",
	"China Standard Time": "Asia/Shanghai", "Singapore Standard Time": "Asia/Singapore",
	"Taipei Standard Time": "Asia/Taipei", "Tokyo Standard Time": "Asia/Tokyo",
	"Korea Standard Time": "Asia/Seoul", "W. Australia Standard Time": "Australia/Perth",
	"Cen. Australia Standard Time": "Australia/Adelaide", "E. Australia Standard Time": "Australia/Brisbane",
	"AUS Eastern Standard Time": "Australia/Sydney", "New Zealand Standard Time": "Pacific/Auckland",
	"Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
	"Mountain Standard Time": "America/Denver", "US Mountain Standard Time": "America/Phoenix",
	"Pacific Standard Time": "America/Los_Angeles", "Alaskan Standard Time": "America/Anchorage",
	"Hawaiian Standard Time": "Pacific/Honolulu", "Atlantic Standard Time": "America/Halifax",
	"Newfoundland Standard Time": "America/St_Johns", "Canada Central Standard Time": "America/Regina",
	"Central Standard Time (Mexico)": "America/Mexico_City", "SA Pacific Standard Time": "America/Bogota",
	"Pacific SA Standard Time": "America/Santiago", "Argentina Standard Time": "America/Buenos_Aires",
	"E. South America Standard Time": "America/Sao_Paulo",
}

// zones resolves the TZIDs of one calendar object.
type zones struct {
	local  *time.Location             // floating times and all-day dates
	vtz    map[string]*ical.Component // the object's VTIMEZONEs by TZID
	cache  map[string]zone            // resolved TZIDs
	failed map[string]error           // TZIDs that resolved to nothing
}

func newZones(cal *ical.Calendar, local *time.Location) *zones {
	z := &zones{local: local, vtz: map[string]*ical.Component{}, cache: map[string]zone{}, failed: map[string]error{}}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			if id, err := c.Props.Text(ical.PropTimezoneID); err == nil && id != "" {
				z.vtz[id] = c
			}
		}
	}
	return z
}

// byID resolves a TZID: an IANA name (also inside a path such as
// "/mozilla.org/20050126_1/Europe/Berlin"), a Windows name, the
// X-LIC-LOCATION of its VTIMEZONE, or the VTIMEZONE's own rules.
func (z *zones) byID(id string) (zone, error) {
	if c, ok := z.cache[id]; ok {
		return c, nil
	}
	if err, ok := z.failed[id]; ok {
		return nil, err
	}
	c, err := z.resolve(id)
	if err != nil {
		z.failed[id] = err
		return nil, err
	}
	z.cache[id] = c
	return c, nil
}

func (z *zones) resolve(id string) (zone, error) {
	name := strings.TrimSpace(strings.Trim(id, `"`))
	if name != "" && name != "Local" {
		for s := name; s != ""; {
			if loc, err := time.LoadLocation(s); err == nil {
				return locZone{loc}, nil
			}
			_, rest, ok := strings.Cut(s, "/")
			if !ok {
				break
			}
			s = rest
		}
		if iana, ok := windowsZones[name]; ok {
			if loc, err := time.LoadLocation(iana); err == nil {
				return locZone{loc}, nil
			}
		}
	}
	if vt, ok := z.vtz[id]; ok {
		if lic, err := vt.Props.Text("X-LIC-LOCATION"); err == nil && lic != "" {
			if loc, err := time.LoadLocation(lic); err == nil {
				return locZone{loc}, nil
			}
		}
		return newRuleZone(vt)
	}
	return nil, fmt.Errorf("unknown time zone %q", id)
}

// ruleZone is a zone defined only by a VTIMEZONE's observances.
type ruleZone struct {
	obs     []observance
	offsets []time.Duration // every TZOFFSETTO, to try in instant
}

type observance struct {
	from, to time.Duration  // TZOFFSETFROM, TZOFFSETTO
	start    time.Time      // DTSTART as a floating reading (local time before the change)
	opt      *rrule.ROption // nil: only start and rdates
	rdates   []time.Time
	rules    map[int]*rrule.RRule // the rule started in a given year, see last
	onsets   map[int][]time.Time  // by the year of a limit: the onsets of that year and the one before
}

// last is the observance's latest onset reading at or before limit, or zero.
// VTIMEZONEs start their rules centuries ago (Outlook writes 1601), and
// rrule-go counts from DTSTART with a time.Duration, which cannot reach
// that far; a yearly rule without COUNT gives the same onsets from any
// later January, so it is restarted the year before limit.
func (o *observance) last(limit time.Time) time.Time {
	var last time.Time
	if o.opt != nil {
		y := o.start.Year()
		if o.opt.Count == 0 && limit.Year()-1 > y {
			y = limit.Year() - 1
		}
		r, ok := o.rules[y]
		if !ok {
			opt := *o.opt
			if y != o.start.Year() {
				opt.Dtstart = time.Date(y, 1, 1, o.start.Hour(), o.start.Minute(), o.start.Second(), 0, time.UTC)
			}
			r, _ = rrule.NewRRule(opt) // checked when the zone was built
			o.rules[y] = r
		}
		if r != nil {
			// Onsets come once or twice a year: keep those of the years
			// around limit, and look further back only when they do not do.
			on, ok := o.onsets[limit.Year()]
			if !ok {
				on = r.Between(time.Date(limit.Year()-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(limit.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC), true)
				o.onsets[limit.Year()] = on
			}
			if i, _ := slices.BinarySearchFunc(on, limit, func(a, b time.Time) int {
				if a.After(b) {
					return 1
				}
				return -1
			}); i > 0 {
				last = on[i-1]
			} else {
				last = r.Before(limit, true)
			}
		}
	} else if !o.start.After(limit) {
		last = o.start
	}
	for _, d := range o.rdates {
		if !d.After(limit) && d.After(last) {
			last = d
		}
	}
	return last
}

func newRuleZone(vt *ical.Component) (zone, error) {
	z := &ruleZone{}
	seen := map[time.Duration]bool{}
	for _, c := range vt.Children {
		if c.Name != ical.CompTimezoneStandard && c.Name != ical.CompTimezoneDaylight {
			continue
		}
		o := observance{rules: map[int]*rrule.RRule{}, onsets: map[int][]time.Time{}}
		var err error
		if o.from, err = utcOffset(c.Props.Get(ical.PropTimezoneOffsetFrom)); err != nil {
			return nil, fmt.Errorf("vtimezone: %w", err)
		}
		if o.to, err = utcOffset(c.Props.Get(ical.PropTimezoneOffsetTo)); err != nil {
			return nil, fmt.Errorf("vtimezone: %w", err)
		}
		p := c.Props.Get(ical.PropDateTimeStart)
		if p == nil {
			return nil, fmt.Errorf("vtimezone: observance without DTSTART")
		}
		if o.start, err = floating(p.Value); err != nil {
			return nil, fmt.Errorf("vtimezone: %w", err)
		}
		if rp := c.Props.Get(ical.PropRecurrenceRule); rp != nil {
			opt, err := rrule.StrToROption(rp.Value)
			if err != nil {
				return nil, fmt.Errorf("vtimezone rule %q: %w", rp.Value, err)
			}
			if strings.Contains(strings.ToUpper(rp.Value), "UNTIL=") && !opt.Until.IsZero() {
				opt.Until = opt.Until.Add(o.from) // UNTIL is UTC; the rule runs on local readings
			}
			opt.Dtstart = o.start
			if _, err := rrule.NewRRule(*opt); err != nil {
				return nil, fmt.Errorf("vtimezone rule %q: %w", rp.Value, err)
			}
			o.opt = opt
		}
		for _, rp := range c.Props.Values(ical.PropRecurrenceDates) {
			for _, v := range strings.Split(rp.Value, ",") {
				if t, err := floating(v); err == nil {
					o.rdates = append(o.rdates, t)
				}
			}
		}
		z.obs = append(z.obs, o)
		if !seen[o.to] {
			seen[o.to] = true
			z.offsets = append(z.offsets, o.to)
		}
	}
	if len(z.obs) == 0 {
		return nil, fmt.Errorf("vtimezone without observances")
	}
	return z, nil
}

// utcOffset parses "+0100", "-0500" or "+053000".
func utcOffset(p *ical.Prop) (time.Duration, error) {
	if p == nil {
		return 0, fmt.Errorf("missing UTC offset")
	}
	v := strings.TrimSpace(p.Value)
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		return 0, fmt.Errorf("bad UTC offset %q", v)
	}
	t, err := time.Parse("150405", (v[1:] + "00")[:6])
	if err != nil {
		return 0, fmt.Errorf("bad UTC offset %q", v)
	}
	d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if v[0] == '-' {
		d = -d
	}
	return d, nil
}

// floating parses a DATE or a DATE-TIME without zone as a floating reading.
func floating(v string) (time.Time, error) {
	v = strings.TrimSuffix(strings.TrimSpace(v), "Z")
	if len(v) == len("20060102") {
		return time.Parse("20060102", v)
	}
	return time.Parse("20060102T150405", v)
}

// offsetAt is the zone's UTC offset at instant u: the TZOFFSETTO of the
// latest onset at or before u.
func (z *ruleZone) offsetAt(u time.Time) time.Duration {
	var best time.Time
	off, found := time.Duration(0), false
	earliest := z.obs[0]
	for i := range z.obs {
		o := &z.obs[i]
		if o.start.Before(earliest.start) {
			earliest = *o
		}
		// An onset's reading is in the offset before it: onset instant =
		// reading - from, so "onset <= u" is "reading <= u + from".
		last := o.last(u.Add(o.from))
		if last.IsZero() {
			continue
		}
		if at := last.Add(-o.from); !found || at.After(best) {
			best, off, found = at, o.to, true
		}
	}
	if !found {
		return earliest.from
	}
	return off
}

func (z *ruleZone) instant(w time.Time) time.Time {
	var first time.Time
	for _, off := range z.offsets {
		u := w.Add(-off)
		if z.offsetAt(u) == off && (first.IsZero() || u.Before(first)) {
			first = u // the first occurrence of an ambiguous reading
		}
	}
	if first.IsZero() {
		// A reading in a spring-forward gap: take it with the offset from
		// before the gap, which lands after the change.
		u := w.Add(-z.offsetAt(w.Add(-24 * time.Hour)))
		return u.UTC()
	}
	return first.UTC()
}

func (z *ruleZone) wall(t time.Time) time.Time {
	return t.UTC().Add(z.offsetAt(t)).Truncate(time.Second)
}
