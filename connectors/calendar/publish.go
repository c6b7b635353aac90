package calendar

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav/caldav"

	"github.com/sluice-app/sluice/app/model"
)

// FocusTitle is the summary of a published focus block.
const FocusTitle = "Focus — Sluice"

// Publisher writes Sluice's focus blocks into one CalDAV calendar as busy
// events, and removes them again. It only ever writes, changes or deletes
// events whose UID starts with FocusUIDPrefix.
type Publisher struct {
	src      *Source
	calendar string // the calendar's display name or path, as configured
}

// Publisher returns a publisher to the named calendar (display name or
// path) of this CalDAV account.
func (s *Source) Publisher(calendar string) (*Publisher, error) {
	if s.opt.Kind != model.KindCalDAV {
		return nil, fmt.Errorf("calendar %s: focus blocks can be published to a CalDAV account only", s.opt.Account)
	}
	if strings.TrimSpace(calendar) == "" {
		return nil, fmt.Errorf("calendar %s: no calendar to publish to", s.opt.Account)
	}
	return &Publisher{src: s, calendar: calendar}, nil
}

// Published is the outcome of a Publish or Unpublish.
type Published struct {
	Calendar string       `json:"calendar"`          // the calendar's path
	Blocks   []model.Busy `json:"blocks"`            // Sluice's events on it now
	Written  int          `json:"written,omitempty"` // created this time
	Removed  int          `json:"removed,omitempty"` // deleted this time
}

// FocusUID is the UID of the published focus block [start, end): the same
// block always gets the same UID, so publishing again changes nothing.
func FocusUID(start, end time.Time) string {
	const f = "20060102T150405Z"
	return FocusUIDPrefix + start.UTC().Format(f) + "-" + end.UTC().Format(f)
}

func (p *Publisher) client(ctx context.Context) (*caldav.Client, string, error) {
	sec, err := p.src.secret(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrAuth, err)
	}
	d := &doer{hc: p.src.hc, user: p.src.opt.Username, pass: sec}
	c, err := newDAVClient(d, p.src.opt.URL)
	if err != nil {
		return nil, "", err
	}
	cals, err := findCalendars(ctx, c, p.src.opt.URL, []string{p.calendar})
	if err != nil {
		return nil, "", err
	}
	return c, cals[0].Path, nil
}

// own lists Sluice's events on the calendar by UID, with their hrefs.
func own(ctx context.Context, c *caldav.Client, cal string) (map[string]ownEvent, error) {
	q := &caldav.CalendarQuery{
		CompRequest: caldav.CalendarCompRequest{Name: ical.CompCalendar, AllProps: true, AllComps: true},
		CompFilter: caldav.CompFilter{Name: ical.CompCalendar, Comps: []caldav.CompFilter{{
			Name:  ical.CompEvent,
			Props: []caldav.PropFilter{{Name: ical.PropUID, TextMatch: &caldav.TextMatch{Text: FocusUIDPrefix}}},
		}}},
	}
	objs, err := c.QueryCalendar(ctx, cal, q)
	if err != nil {
		return nil, fmt.Errorf("list Sluice's events: %w", err)
	}
	out := map[string]ownEvent{}
	for _, o := range objs {
		if o.Data == nil {
			continue
		}
		for _, ev := range o.Data.Events() {
			uid, _ := ev.Props.Text(ical.PropUID)
			// The server's match is "contains"; only a prefix is Sluice's.
			if !strings.HasPrefix(uid, FocusUIDPrefix) {
				continue
			}
			start, _ := ev.DateTimeStart(time.UTC)
			end, _ := ev.DateTimeEnd(time.UTC)
			out[uid] = ownEvent{href: o.Path, start: start, end: end}
		}
	}
	return out, nil
}

type ownEvent struct {
	href       string
	start, end time.Time
}

// Publish makes Sluice's events on the calendar match blocks: it writes
// the blocks that are missing and deletes its own events that are no longer
// wanted and not yet over (past focus blocks stay as a record). Nothing
// else on the calendar is read beyond the UID filter, written or deleted.
func (p *Publisher) Publish(ctx context.Context, blocks []model.Busy) (Published, error) {
	c, cal, err := p.client(ctx)
	if err != nil {
		return Published{}, err
	}
	have, err := own(ctx, c, cal)
	if err != nil {
		return Published{}, err
	}
	now := p.src.opt.Clock.Now()
	res := Published{Calendar: cal}
	want := map[string]model.Busy{}
	for _, b := range blocks {
		if b.End.After(b.Start) {
			want[FocusUID(b.Start, b.End)] = b
		}
	}
	var errs []error
	for uid, ev := range have {
		if _, ok := want[uid]; ok || !ev.end.After(now) {
			continue
		}
		if err := c.RemoveAll(ctx, ev.href); err != nil && statusOf(err) != 404 {
			errs = append(errs, fmt.Errorf("remove %s: %w", uid, err))
			continue
		}
		delete(have, uid)
		res.Removed++
	}
	for uid, b := range want {
		if _, ok := have[uid]; ok {
			continue
		}
		href := path.Join(cal, uid+".ics")
		if _, err := c.PutCalendarObject(ctx, href, focusEvent(uid, b, now)); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", uid, err))
			continue
		}
		have[uid] = ownEvent{href: href, start: b.Start, end: b.End}
		res.Written++
	}
	res.Blocks = blocksOf(have)
	if len(errs) > 0 {
		return res, fmt.Errorf("publish focus blocks: %w", errors.Join(errs...))
	}
	return res, nil
}

// Unpublish deletes every event of Sluice's (by UID prefix) from the
// calendar, past ones too, and nothing else.
func (p *Publisher) Unpublish(ctx context.Context) (Published, error) {
	c, cal, err := p.client(ctx)
	if err != nil {
		return Published{}, err
	}
	have, err := own(ctx, c, cal)
	if err != nil {
		return Published{}, err
	}
	res := Published{Calendar: cal}
	var errs []error
	for uid, ev := range have {
		if err := c.RemoveAll(ctx, ev.href); err != nil && statusOf(err) != 404 {
			errs = append(errs, fmt.Errorf("remove %s: %w", uid, err))
			continue
		}
		delete(have, uid)
		res.Removed++
	}
	res.Blocks = blocksOf(have)
	if len(errs) > 0 {
		return res, fmt.Errorf("remove focus blocks: %w", errors.Join(errs...))
	}
	return res, nil
}

func blocksOf(have map[string]ownEvent) []model.Busy {
	out := make([]model.Busy, 0, len(have))
	for _, ev := range have {
		out = append(out, model.Busy{Start: ev.start, End: ev.end, Title: FocusTitle})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// focusEvent is the iCalendar object of one published focus block.
func focusEvent(uid string, b model.Busy, now time.Time) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Sluice//Focus blocks//EN")
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End.UTC())
	ev.Props.SetText(ical.PropSummary, FocusTitle)
	ev.Props.SetText(ical.PropDescription, "A focus block Sluice keeps: messages wait for the next check-in. Sluice writes and removes these events itself.")
	ev.Props.SetText(ical.PropTransparency, "OPAQUE")
	ev.Props.SetText("X-MICROSOFT-CDO-BUSYSTATUS", "BUSY")
	cal.Children = append(cal.Children, ev.Component)
	return cal
}
