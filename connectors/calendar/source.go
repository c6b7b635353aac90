package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Defaults.
const (
	DefaultPollCalDAV = 5 * time.Minute  // a sync-token poll costs one small REPORT
	DefaultPollICS    = 15 * time.Minute // feeds are whole files; Google refreshes them slowly anyway
	// Ahead is how far ahead busy time is read: the schedule looks eight
	// days ahead, the timeline seven, published focus blocks a week.
	Ahead = 15 * 24 * time.Hour
	// Behind is how far back, so a meeting running now is always known.
	Behind = 24 * time.Hour
	// maxBackoff caps the wait after failures.
	maxBackoff = 30 * time.Minute
)

// CursorKey is the key of a source's state among the account's cursors.
const CursorKey = "calendar"

// Options configure one calendar account.
type Options struct {
	Account string
	Kind    model.Kind // model.KindCalDAV or model.KindICS
	// URL is the CalDAV server (any URL on it: the root, the principal,
	// the calendar home or one calendar), or the .ics feed. For a feed it
	// may be empty: then Secret gives it, since a feed's "secret address"
	// is itself a credential.
	URL      string
	Username string
	// Secret returns the CalDAV password, or the feed's URL when URL is
	// empty (from the keyring or the user's password command).
	Secret func(ctx context.Context) (string, error)
	// Calendars narrows a CalDAV account to these calendars (display
	// names or paths); empty reads every calendar with events.
	Calendars []string
	// Addresses are the user's own addresses, for invitations they
	// declined; empty means Username when it is an address.
	Addresses []string
	// Local is the user's zone, for floating times and all-day dates.
	Local        *time.Location
	PollInterval time.Duration // 0: DefaultPollCalDAV or DefaultPollICS
	CAFile       string
	Clock        clock.Clock // nil: clock.Real
	Logger       *slog.Logger
	// HTTPClient replaces the default client (tests count requests with it).
	HTTPClient *http.Client
}

// Source is one calendar account: it keeps the gate's busy time up to date.
type Source struct {
	opt  Options
	hc   *http.Client
	log  *slog.Logger
	wake chan struct{}

	mu   sync.Mutex
	st   *state
	last []model.Busy
}

var _ model.Calendar = (*Source)(nil)

// New checks the options and builds a source. It does not connect.
func New(opt Options) (*Source, error) {
	if opt.Account == "" {
		return nil, errors.New("calendar: no account name")
	}
	switch opt.Kind {
	case model.KindCalDAV:
		if opt.URL == "" {
			return nil, fmt.Errorf("calendar %s: no server URL", opt.Account)
		}
	case model.KindICS:
		if opt.URL == "" && opt.Secret == nil {
			return nil, fmt.Errorf("calendar %s: no feed URL", opt.Account)
		}
	default:
		return nil, fmt.Errorf("calendar %s: unknown kind %q (want caldav or ics)", opt.Account, opt.Kind)
	}
	if opt.URL != "" {
		u, err := checkURL(opt.URL)
		if err != nil {
			return nil, fmt.Errorf("calendar %s: url: %w", opt.Account, err)
		}
		opt.URL = u.String()
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Local == nil {
		opt.Local = time.Local
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = DefaultPollCalDAV
		if opt.Kind == model.KindICS {
			opt.PollInterval = DefaultPollICS
		}
	}
	if len(opt.Addresses) == 0 && strings.Contains(opt.Username, "@") {
		opt.Addresses = []string{opt.Username}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	hc := opt.HTTPClient
	if hc == nil {
		var err error
		if hc, err = newHTTPClient(opt.CAFile); err != nil {
			return nil, fmt.Errorf("calendar %s: %w", opt.Account, err)
		}
	}
	return &Source{opt: opt, hc: hc, log: opt.Logger.With("component", "calendar", "account", opt.Account),
		wake: make(chan struct{}, 1), st: newState()}, nil
}

// Account implements model.Calendar.
func (s *Source) Account() string { return s.opt.Account }

// Kind is the account's kind.
func (s *Source) Kind() model.Kind { return s.opt.Kind }

// Wake makes Run poll at once (resume from sleep).
func (s *Source) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// secret returns the password or the feed URL.
func (s *Source) secret(ctx context.Context) (string, error) {
	if s.opt.Secret == nil {
		return "", nil
	}
	return s.opt.Secret(ctx)
}

// Run polls until ctx is done, handing the busy time to sink whenever it
// changes (also as time moves on and new instances come into reach). It
// backs off after failures and reports its health, each state with the
// time it began, and "stopped" when it returns; a refused login waits for
// the user (Wake, or a changed config that restarts it).
func (s *Source) Run(ctx context.Context, sink model.BusySink) error {
	if b, err := sink.Cursor(s.opt.Account, CursorKey); err == nil && len(b) > 0 {
		st := newState()
		if err := json.Unmarshal(b, st); err == nil {
			s.mu.Lock()
			s.st = st
			s.mu.Unlock()
		} else {
			s.log.Warn("calendar state unreadable; syncing afresh", "err", err)
		}
	}
	var last model.Health
	report := func(state model.HealthState, detail string, until time.Time) {
		h := model.Health{Account: s.opt.Account, Kind: s.opt.Kind, State: state, Detail: detail, Since: last.Since, Until: until}
		if state != last.State || h.Since.IsZero() {
			h.Since = s.opt.Clock.Now()
		}
		last = h
		sink.ReportHealth(h)
	}
	defer func() { report(model.HealthStopped, "stopped", time.Time{}) }()
	report(model.HealthStarting, "connecting", time.Time{})
	backoff := time.Duration(0)
	for {
		err := s.Poll(ctx, sink)
		wait := s.opt.PollInterval
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrAuth):
			report(model.HealthAuthFailed, "the server refused the login: check the user name and password", time.Time{})
			wait = maxBackoff
		case err != nil:
			backoff = min(max(2*backoff, 30*time.Second), maxBackoff)
			wait = backoff
			s.log.Warn("calendar poll failed", "err", err, "retry", wait)
			report(model.HealthBackingOff, err.Error(), s.opt.Clock.Now().Add(wait))
		default:
			backoff = 0
			s.mu.Lock()
			n := len(s.last)
			s.mu.Unlock()
			report(model.HealthConnected, fmt.Sprintf("%d meetings in the next two weeks", n), time.Time{})
		}
		t := s.opt.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		case <-s.wake:
			t.Stop()
		}
	}
}

// Poll syncs once and hands the busy time to sink when it, or the state
// behind it, changed.
func (s *Source) Poll(ctx context.Context, sink model.BusySink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed, err := s.syncLocked(ctx)
	if err != nil {
		return err
	}
	busy, experr := s.busyLocked(s.opt.Clock.Now())
	if experr != nil {
		s.log.Warn("some events could not be read", "err", experr)
	}
	if !changed && slices.EqualFunc(busy, s.last, sameBusy) && s.last != nil {
		return nil
	}
	cur, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	if err := sink.SetBusy(ctx, s.opt.Account, busy, []model.Cursor{{Account: s.opt.Account, Key: CursorKey, Value: cur}}); err != nil {
		return fmt.Errorf("store busy time: %w", err)
	}
	s.last = busy
	return nil
}

func sameBusy(a, b model.Busy) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Title == b.Title && a.AllDay == b.AllDay
}

func (s *Source) syncLocked(ctx context.Context) (bool, error) {
	sec, err := s.secret(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrAuth, err)
	}
	if s.opt.Kind == model.KindICS {
		feed := s.opt.URL
		if feed == "" {
			u, err := checkURL(sec)
			if err != nil {
				return false, fmt.Errorf("the stored feed address: %w", err)
			}
			feed = u.String()
		}
		d := &doer{hc: s.hc}
		cs := s.st.calendar("feed", "")
		for p := range s.st.Calendars {
			if p != "feed" {
				delete(s.st.Calendars, p)
			}
		}
		return fetchFeed(ctx, d, feed, cs)
	}
	d := &doer{hc: s.hc, user: s.opt.Username, pass: sec}
	c, err := newDAVClient(d, s.opt.URL)
	if err != nil {
		return false, err
	}
	cals, err := findCalendars(ctx, c, s.opt.URL, s.opt.Calendars)
	if err != nil {
		return false, err
	}
	changed := false
	keep := map[string]bool{}
	for _, cal := range cals {
		keep[cal.Path] = true
		cs := s.st.calendar(cal.Path, cal.Name)
		ch, err := syncCalendar(ctx, c, cs, cal.Path)
		changed = changed || ch
		if err != nil {
			return changed, fmt.Errorf("calendar %s: %w", cal.Name, err)
		}
	}
	for p := range s.st.Calendars {
		if !keep[p] {
			delete(s.st.Calendars, p)
			changed = true
		}
	}
	return changed, nil
}

// busyLocked expands every kept object around now.
func (s *Source) busyLocked(now time.Time) ([]model.Busy, error) {
	from, to := now.Add(-Behind), now.Add(Ahead)
	f := Filter{Addresses: s.opt.Addresses, Local: s.opt.Local, Account: s.opt.Account}
	var out []model.Busy
	var errs []error
	paths := make([]string, 0, len(s.st.Calendars))
	for p := range s.st.Calendars {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for href, o := range s.st.Calendars[p].Objects {
			cal, err := o.parsed()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", href, err))
				continue
			}
			if cal == nil {
				continue
			}
			bs, err := Expand(cal, from, to, f)
			if err != nil {
				errs = append(errs, err)
			}
			out = append(out, bs...)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Busy) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := a.End.Compare(b.End); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
	// The same event seen in two calendars is one meeting.
	out = slices.CompactFunc(out, sameBusy)
	if out == nil {
		out = []model.Busy{}
	}
	return out, errors.Join(errs...)
}

// Test connects once and says what it found, in words.
func (s *Source) Test(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := s.st
	s.st = newState()
	defer func() { s.st = saved }()
	if _, err := s.syncLocked(ctx); err != nil {
		return "", err
	}
	busy, _ := s.busyLocked(s.opt.Clock.Now())
	if s.opt.Kind == model.KindICS {
		return fmt.Sprintf("Read the calendar feed: %d meetings in the next two weeks.", len(busy)), nil
	}
	var names []string
	for _, c := range s.st.Calendars {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return fmt.Sprintf("Connected as %s; reading %s: %d meetings in the next two weeks.", s.opt.Username, strings.Join(names, ", "), len(busy)), nil
}
