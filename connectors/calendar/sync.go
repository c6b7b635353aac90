package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
)

// state is what a source remembers between polls and across restarts (as
// its cursor): per calendar its sync token and its objects by href with
// their ETags and text. It never holds a credential.
type state struct {
	Calendars map[string]*calState `json:"calendars"` // by calendar path, or "feed" for an .ics URL
}

type calState struct {
	Name      string             `json:"name,omitempty"`
	SyncToken string             `json:"sync_token,omitempty"`
	ETag      string             `json:"etag,omitempty"`          // .ics feeds: for If-None-Match
	Modified  string             `json:"last_modified,omitempty"` // .ics feeds: for If-Modified-Since
	Objects   map[string]*object `json:"objects"`
}

type object struct {
	ETag string `json:"etag,omitempty"`
	Data string `json:"data,omitempty"` // the iCalendar text

	cal *ical.Calendar // parsed Data, not stored
}

func newState() *state { return &state{Calendars: map[string]*calState{}} }

func (s *state) calendar(p, name string) *calState {
	c := s.Calendars[p]
	if c == nil {
		c = &calState{Objects: map[string]*object{}}
		s.Calendars[p] = c
	}
	if name != "" {
		c.Name = name
	}
	if c.Objects == nil {
		c.Objects = map[string]*object{}
	}
	return c
}

func (o *object) set(etag string, cal *ical.Calendar) error {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return err
	}
	o.ETag, o.Data, o.cal = etag, buf.String(), cal
	return nil
}

// parsed returns the object's calendar, decoding Data once.
func (o *object) parsed() (*ical.Calendar, error) {
	if o.cal == nil && o.Data != "" {
		cal, err := ical.NewDecoder(strings.NewReader(o.Data)).Decode()
		if err != nil {
			return nil, err
		}
		o.cal = cal
	}
	return o.cal, nil
}

// davCalendar is a calendar the account reads.
type davCalendar struct {
	Path, Name string
}

// findCalendars lists the account's calendars that hold events: from the
// user's principal and calendar home when the server says where they are,
// else the URL itself as one calendar. wanted (names or paths, any case)
// narrows the list; empty means every calendar.
func findCalendars(ctx context.Context, c *caldav.Client, base string, wanted []string) ([]davCalendar, error) {
	var all []caldav.Calendar
	principal, err := c.FindCurrentUserPrincipal(ctx)
	if err == nil {
		var home string
		if home, err = c.FindCalendarHomeSet(ctx, principal); err == nil {
			all, err = c.FindCalendars(ctx, home)
		}
	}
	if errors.Is(err, ErrAuth) {
		// A refused password is not tried again on another URL: one
		// attempt per poll, so a wrong one cannot lock the account.
		return nil, fmt.Errorf("find calendars: %w", err)
	}
	if err != nil || len(all) == 0 {
		// The URL may be a calendar itself.
		cal, cerr := c.FindCalendar(ctx, base)
		if cerr != nil {
			if err == nil {
				err = cerr
			}
			return nil, fmt.Errorf("find calendars: %w", err)
		}
		all = []caldav.Calendar{*cal}
	}
	var out []davCalendar
	for _, cal := range all {
		if len(cal.SupportedComponentSet) > 0 && !slices.ContainsFunc(cal.SupportedComponentSet, func(s string) bool { return strings.EqualFold(s, ical.CompEvent) }) {
			continue
		}
		if len(wanted) > 0 && !slices.ContainsFunc(wanted, func(w string) bool { return matchCalendar(cal, w) }) {
			continue
		}
		out = append(out, davCalendar{Path: cal.Path, Name: cal.Name})
	}
	if len(out) == 0 {
		if len(wanted) > 0 {
			return nil, fmt.Errorf("no calendar named %s on the server", strings.Join(wanted, ", "))
		}
		return nil, errors.New("the server has no calendar with events")
	}
	return out, nil
}

// matchCalendar reports whether w names cal: its display name, its path, or
// the last segment of its path.
func matchCalendar(cal caldav.Calendar, w string) bool {
	w = strings.TrimSpace(w)
	return strings.EqualFold(cal.Name, w) || strings.TrimSuffix(cal.Path, "/") == strings.TrimSuffix(w, "/") ||
		strings.EqualFold(path.Base(strings.TrimSuffix(cal.Path, "/")), strings.Trim(w, "/"))
}

var dataRequest = caldav.CalendarCompRequest{Name: ical.CompCalendar, AllProps: true, AllComps: true}

// syncCalendar brings one calendar's objects up to date: with its sync
// token when it has one (only what changed crosses the network), else a
// full sync-collection, else (servers without RFC 6578) a listing of ETags
// and a multiget of the objects that changed. It reports whether anything
// changed.
func syncCalendar(ctx context.Context, c *caldav.Client, cs *calState, p string) (changed bool, err error) {
	resp, err := c.SyncCollection(ctx, p, &caldav.SyncQuery{CompRequest: dataRequest, SyncToken: cs.SyncToken})
	if err != nil && cs.SyncToken != "" && (statusOf(err) == http.StatusForbidden || statusOf(err) == http.StatusConflict || statusOf(err) == http.StatusPreconditionFailed) {
		// The token expired (valid-sync-token precondition): start over.
		cs.SyncToken = ""
		resp, err = c.SyncCollection(ctx, p, &caldav.SyncQuery{CompRequest: dataRequest})
		if err == nil {
			changed = true
			seen := map[string]bool{}
			for _, o := range resp.Updated {
				seen[o.Path] = true
			}
			for href := range cs.Objects {
				if !seen[href] {
					delete(cs.Objects, href)
				}
			}
		}
	}
	if err != nil {
		if errors.Is(err, ErrAuth) || ctx.Err() != nil {
			return false, err
		}
		return pollETags(ctx, c, cs, p)
	}
	var missing []string
	for _, o := range resp.Updated {
		if !strings.HasSuffix(strings.ToLower(o.Path), ".ics") && o.Data == nil {
			continue // a sub-collection or something that is not an event
		}
		if old, ok := cs.Objects[o.Path]; ok && o.ETag != "" && old.ETag == o.ETag && old.Data != "" {
			continue
		}
		changed = true
		if o.Data == nil {
			missing = append(missing, o.Path)
			cs.Objects[o.Path] = &object{ETag: o.ETag}
			continue
		}
		obj := &object{}
		if err := obj.set(o.ETag, o.Data); err != nil {
			return changed, fmt.Errorf("keep %s: %w", o.Path, err)
		}
		cs.Objects[o.Path] = obj
	}
	for _, href := range resp.Deleted {
		if _, ok := cs.Objects[href]; ok {
			delete(cs.Objects, href)
			changed = true
		}
	}
	if err := multiget(ctx, c, cs, p, missing); err != nil {
		return changed, err
	}
	if resp.SyncToken != cs.SyncToken {
		cs.SyncToken = resp.SyncToken
		changed = true
	}
	return changed, nil
}

// pollETags is the sync for servers without sync-collection: list the
// calendar's ETags (one PROPFIND) and fetch only the objects whose ETag is
// new.
func pollETags(ctx context.Context, c *caldav.Client, cs *calState, p string) (bool, error) {
	infos, err := c.ReadDir(ctx, p, false)
	if err != nil {
		return false, fmt.Errorf("list %s: %w", p, err)
	}
	changed := false
	seen := map[string]bool{}
	var fetch []string
	for _, fi := range infos {
		if fi.IsDir {
			continue
		}
		seen[fi.Path] = true
		if old, ok := cs.Objects[fi.Path]; ok && fi.ETag != "" && old.ETag == fi.ETag && old.Data != "" {
			continue
		}
		fetch = append(fetch, fi.Path)
	}
	for href := range cs.Objects {
		if !seen[href] {
			delete(cs.Objects, href)
			changed = true
		}
	}
	if len(fetch) > 0 {
		changed = true
	}
	return changed, multiget(ctx, c, cs, p, fetch)
}

func multiget(ctx context.Context, c *caldav.Client, cs *calState, p string, hrefs []string) error {
	for len(hrefs) > 0 {
		n := min(len(hrefs), 100)
		objs, err := c.MultiGetCalendar(ctx, p, &caldav.CalendarMultiGet{Paths: hrefs[:n], CompRequest: dataRequest})
		if err != nil {
			return fmt.Errorf("fetch events of %s: %w", p, err)
		}
		for _, o := range objs {
			obj := &object{}
			if err := obj.set(o.ETag, o.Data); err != nil {
				return fmt.Errorf("keep %s: %w", o.Path, err)
			}
			cs.Objects[o.Path] = obj
		}
		hrefs = hrefs[n:]
	}
	return nil
}

// fetchFeed brings an .ics feed up to date with a conditional GET.
func fetchFeed(ctx context.Context, d *doer, feed string, cs *calState) (changed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feed, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/calendar")
	if _, ok := cs.Objects["feed"]; ok {
		if cs.ETag != "" {
			req.Header.Set("If-None-Match", cs.ETag)
		}
		if cs.Modified != "" {
			req.Header.Set("If-Modified-Since", cs.Modified)
		}
	}
	resp, err := d.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return false, nil
	}
	cal, err := ical.NewDecoder(http.MaxBytesReader(nil, resp.Body, 32<<20)).Decode()
	if err != nil {
		return false, fmt.Errorf("read calendar feed: %w", err)
	}
	obj := &object{}
	if err := obj.set("", cal); err != nil {
		return false, err
	}
	if old, ok := cs.Objects["feed"]; ok && old.Data == obj.Data {
		changed = false
	} else {
		changed = true
	}
	cs.Objects["feed"] = obj
	cs.ETag, cs.Modified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return changed, nil
}

// newDAVClient is a CalDAV client for base with the doer's credentials.
func newDAVClient(d *doer, base string) (*caldav.Client, error) {
	return caldav.NewClient(webdav.HTTPClient(d), base)
}
