package schedule

import "time"

// At converts the wall-clock time c on the civil date d in the plan's zone
// to an instant. A TimeOfDay of "24:00" means midnight at the start of the next day.
//
// Around DST changes a wall-clock time may not exist or may exist twice, and
// time.Date does not promise which answer it gives (in practice it returns
// the second occurrence of an ambiguous time and moves a time in a New York
// spring-forward gap backwards). At decides explicitly:
//   - a time in a gap (spring forward) moves forward by the gap: 02:30 on
//     the Berlin spring-forward day is 03:30 CEST;
//   - an ambiguous time (fall back) means its first occurrence: 02:30 on the
//     Berlin fall-back day is 02:30 CEST, not CET.
func (p Plan) At(d Date, c TimeOfDay) time.Time {
	return resolveWall(d.unixDay()+int64(c.minutes())*60, p.zone())
}

// zone is the plan's location, time.Local when none is set.
func (p Plan) zone() *time.Location {
	if p.Zone == nil {
		return time.Local
	}
	return p.Zone
}

// resolveWall maps civil seconds (a wall-clock reading counted like Unix
// time, as if the zone were UTC) to the instant that shows it in loc, with
// At's rules for gaps and overlaps.
//
// It walks the zone's offset periods around the reading: every period whose
// offset maps the reading into that same period gives an occurrence. None
// means a gap; then the offset of the period before the gap, applied to the
// reading, lands after the transition at exactly "reading + gap".
func resolveWall(wall int64, loc *time.Location) time.Time {
	const reach = 2 * 24 * 60 * 60 // UTC offsets stay within ±26h
	t := time.Unix(wall-reach, 0).In(loc)
	var first, gap int64
	found, inGap := false, false
	for range 16 { // a zone never changes offset 16 times in four days
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		u := wall - int64(off)
		afterStart := start.IsZero() || u >= start.Unix()
		beforeEnd := end.IsZero() || u < end.Unix()
		switch {
		case afterStart && beforeEnd:
			if !found || u < first {
				first, found = u, true
			}
		case !beforeEnd:
			// The reading lies after this period's last wall time: if no
			// later period shows it, this is the period before the gap.
			gap, inGap = u, true
		}
		if end.IsZero() || end.Unix() > wall+reach {
			break
		}
		t = end.In(loc)
	}
	switch {
	case found:
		return time.Unix(first, 0).In(loc)
	case inGap:
		return time.Unix(gap, 0).In(loc)
	default: // unreachable for real zones; fall back to Go's own choice
		w := time.Unix(wall, 0).UTC()
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	}
}
