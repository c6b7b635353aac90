package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// cursor is where the connector is in the notification list.
type cursor struct {
	// LastModified is the list's Last-Modified, sent back as
	// If-Modified-Since so an unchanged list costs a 304.
	LastModified string `json:"last_modified,omitempty"`
	// Newest is the latest updated_at handed over; the next poll asks for
	// threads updated since Newest minus a small overlap.
	Newest time.Time `json:"newest"`
	// Seen maps the threads updated within the overlap to the update
	// handed over, so the overlap is not offered twice.
	Seen map[string]time.Time `json:"seen,omitempty"`
}

// Run implements model.Connector. It polls at once, then every
// PollInterval (or the longer X-Poll-Interval GitHub asks for) and on Wake.
// A rate limit pauses it until GitHub says; an unreachable GitHub makes it
// back off exponentially; a rejected token stops it until Wake. It returns
// nil when ctx is done.
func (c *Connector) Run(ctx context.Context, sink model.Sink) error {
	if sink == nil {
		return errNoSink
	}
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
	c.report(model.HealthStarting, "connecting", time.Time{})
	defer c.report(model.HealthStopped, "", time.Time{})
	failures := 0
	for {
		next, err := c.poll(ctx, sink)
		if ctx.Err() != nil {
			return nil
		}
		var rl *rateLimitError
		switch {
		case err == nil:
			failures = 0
			wait := next.Sub(c.clk.Now())
			c.report(model.HealthConnected, "polling every "+c.interval(wait).String(), time.Time{})
			c.waitOrWake(ctx, max(wait, time.Millisecond), next)
		case errors.As(err, &rl):
			words := "rate limited until "
			if rl.Secondary {
				words = "secondary rate limit until "
			}
			c.report(model.HealthRateLimited, words+rl.Until.Format(time.TimeOnly), rl.Until)
			c.log.Warn("rate limited", "until", rl.Until, "secondary", rl.Secondary)
			c.sleepUntil(ctx, rl.Until)
		case errors.Is(err, ErrAuth):
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
			c.log.Warn("authentication failed; waiting for a new token", "err", err)
			c.report(model.HealthAuthFailed, err.Error(), time.Time{})
			c.waitOrWake(ctx, 0, time.Time{}) // only Wake (or a rebuild) tries again
			c.report(model.HealthStarting, "connecting", time.Time{})
		default:
			failures++
			d := backoff(failures)
			until := c.clk.Now().Add(d)
			c.log.Warn("poll failed; backing off", "err", err, "retry_in", d)
			c.report(model.HealthBackingOff, fmt.Sprintf("GitHub unreachable: %v", err), until)
			c.waitOrWake(ctx, d, time.Time{})
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// interval words the wait for the health detail, at least PollInterval.
func (c *Connector) interval(wait time.Duration) time.Duration {
	return max(c.opt.PollInterval, wait.Round(time.Second))
}

// session returns the token in use, reading it when there is none.
func (c *Connector) session(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	tok, err := c.readToken(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	return tok, nil
}

// poll reads the notifications changed since the cursor and hands the new
// ones over with the moved cursor in one batch. It returns when the next
// poll may happen.
func (c *Connector) poll(ctx context.Context, sink model.Sink) (time.Time, error) {
	tok, err := c.session(ctx)
	if err != nil {
		return time.Time{}, err
	}
	cur, err := c.loadCursor(sink)
	if err != nil {
		return time.Time{}, err
	}
	since := c.clk.Now().Add(-c.opt.Lookback)
	ims := ""
	if !cur.Newest.IsZero() {
		since = cur.Newest.Add(-overlap)
		ims = cur.LastModified
	}
	l, err := c.list(ctx, tok, since, ims)
	if err != nil || l.notModified {
		return l.nextAt, err // nothing changed: no batch, no write
	}
	items, err := c.newItems(ctx, tok, cur, l.notifications)
	if err != nil {
		return time.Time{}, err
	}
	v, err := json.Marshal(nextCursor(cur, l, since))
	if err != nil {
		return time.Time{}, err
	}
	if string(v) == c.rawCursor(sink) && len(items) == 0 {
		return l.nextAt, nil
	}
	b := model.Batch{Account: c.opt.Account, Items: items,
		Cursors: []model.Cursor{{Account: c.opt.Account, Key: cursorKey, Value: v}}}
	if err := sink.Ingest(ctx, b); err != nil {
		return time.Time{}, fmt.Errorf("hand over %d notifications: %w", len(items), err)
	}
	if len(items) > 0 {
		c.log.Info("notifications", "new", len(items))
	}
	return l.nextAt, nil
}

// listing is one poll's answer: the notifications, GitHub's Last-Modified,
// and when the next poll may happen.
type listing struct {
	notifications []notification
	lastMod       string
	nextAt        time.Time
	notModified   bool // 304: nothing changed since ims
}

// list reads the notifications updated since, every page of them, asking
// with If-Modified-Since ims (when set) so an unchanged list costs
// nothing.
func (c *Connector) list(ctx context.Context, tok string, since time.Time, ims string) (listing, error) {
	q := url.Values{"all": {"false"}, "participating": {strconv.FormatBool(c.opt.Participating)},
		"since": {since.UTC().Format(time.RFC3339)}, "per_page": {strconv.Itoa(perPage)}}
	u := c.api.JoinPath("notifications").String() + "?" + q.Encode()
	l := listing{nextAt: c.clk.Now().Add(c.opt.PollInterval)}
	first := true
	for page := 0; u != "" && page < maxPages; page++ {
		var got []notification
		resp, err := c.get(ctx, tok, u, ims, &got)
		if err != nil {
			return listing{}, err
		}
		if first {
			// The wait counts from GitHub's answer, not from the request:
			// X-Poll-Interval says how long to wait before asking again.
			first = false
			l.nextAt = c.clk.Now().Add(c.opt.PollInterval)
			if d := pollInterval(resp.Header); d > 0 {
				l.nextAt = c.clk.Now().Add(max(d, c.opt.PollInterval))
			}
			l.lastMod = resp.Header.Get("Last-Modified")
		}
		if reset, ok := exhausted(resp.Header); ok && reset.After(l.nextAt) {
			l.nextAt = reset // the primary limit is spent: nothing before the reset
		}
		if resp.StatusCode == http.StatusNotModified {
			l.notModified = true
			return l, nil
		}
		l.notifications = append(l.notifications, got...)
		ims = "" // later pages are fetched whole
		u = nextLink(resp.Header)
		if u != "" && !c.onAPI(u) {
			return listing{}, fmt.Errorf("github: pagination link leaves the API: %q", u)
		}
	}
	return l, nil
}

// newItems makes items of the notifications not handed over before:
// those updated since the cursor's window, with their details.
func (c *Connector) newItems(ctx context.Context, tok string, cur cursor, list []notification) ([]model.Item, error) {
	var items []model.Item
	for _, n := range list {
		if n.ID == "" || n.UpdatedAt.IsZero() {
			continue
		}
		if seen, ok := cur.Seen[n.ID]; ok && !n.UpdatedAt.After(seen) {
			continue // handed over already
		}
		if !cur.Newest.IsZero() && n.UpdatedAt.Before(cur.Newest.Add(-overlap)) {
			continue // older than the window: handed over before it
		}
		d, ok, err := c.fetchDetail(ctx, tok, n)
		if err != nil {
			return nil, err
		}
		items = append(items, c.item(n, d, ok))
	}
	return items, nil
}

// nextCursor is the cursor after a poll that listed l from since: the
// newest update seen, and the threads within the overlap of it, so the
// next poll's look back hands none of them over again.
func nextCursor(cur cursor, l listing, since time.Time) cursor {
	next := cursor{LastModified: l.lastMod, Newest: cur.Newest, Seen: map[string]time.Time{}}
	for _, n := range l.notifications {
		if n.ID != "" && n.UpdatedAt.After(next.Newest) {
			next.Newest = n.UpdatedAt
		}
	}
	for id, at := range cur.Seen {
		if !at.Before(next.Newest.Add(-overlap)) {
			next.Seen[id] = at
		}
	}
	for _, n := range l.notifications {
		if !n.UpdatedAt.Before(next.Newest.Add(-overlap)) && n.UpdatedAt.After(next.Seen[n.ID]) {
			next.Seen[n.ID] = n.UpdatedAt
		}
	}
	if next.Newest.IsZero() {
		// Nothing yet: start the window at this poll, so a restart does
		// not reach back the whole lookback again.
		next.Newest = since.Add(overlap)
	}
	return next
}

func (c *Connector) rawCursor(sink model.Sink) string {
	v, _ := sink.Cursor(c.opt.Account, cursorKey)
	return string(v)
}

func (c *Connector) loadCursor(sink model.Sink) (cursor, error) {
	v, err := sink.Cursor(c.opt.Account, cursorKey)
	if err != nil {
		return cursor{}, fmt.Errorf("read cursor: %w", err)
	}
	var cur cursor
	if len(v) == 0 {
		return cur, nil
	}
	if err := json.Unmarshal(v, &cur); err != nil {
		c.log.Warn("unreadable cursor; starting over from the lookback", "err", err)
		return cursor{}, nil
	}
	return cur, nil
}

// MarkDone implements model.DoneMarker: when the account asks for it, the
// items' notification threads are marked read on GitHub
// (PATCH /notifications/threads/{id}). Otherwise it does nothing.
func (c *Connector) MarkDone(ctx context.Context, items []model.Item) error {
	if !c.opt.MarkReadOnDone {
		return nil
	}
	tok, err := c.session(ctx)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	var errs []error
	for _, it := range items {
		id := threadOf(it.SourceID)
		if it.Kind != model.KindGitHub || it.Account != c.opt.Account || id == "" || done[id] {
			continue
		}
		done[id] = true
		u := c.api.JoinPath("notifications", "threads", id).String()
		if _, err := c.do(ctx, http.MethodPatch, tok, u, "", nil); err != nil {
			errs = append(errs, fmt.Errorf("mark thread %s read: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// waitOrWake waits d (forever if d is 0), until Wake, or until ctx is
// done. A Wake still honours notBefore (GitHub's X-Poll-Interval): after a
// resume from sleep that time has passed and the poll happens at once.
func (c *Connector) waitOrWake(ctx context.Context, d time.Duration, notBefore time.Time) {
	var timer <-chan time.Time
	if d > 0 {
		t := c.clk.NewTimer(d)
		defer t.Stop()
		timer = t.C()
	}
	select {
	case <-ctx.Done():
	case <-c.wake:
		if !notBefore.IsZero() {
			c.sleepUntil(ctx, notBefore)
		}
	case <-timer:
	}
}

// sleepUntil waits until t or ctx is done, ignoring Wake.
func (c *Connector) sleepUntil(ctx context.Context, t time.Time) {
	d := t.Sub(c.clk.Now())
	if d <= 0 {
		return
	}
	timer := c.clk.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C():
	}
}

// report records the connector's condition with the sink when it changed.
func (c *Connector) report(state model.HealthState, detail string, until time.Time) {
	c.mu.Lock()
	h := c.health
	if h.State == state && h.Detail == detail && h.Until.Equal(until) {
		c.mu.Unlock()
		return
	}
	if h.State != state || h.Since.IsZero() {
		h.Since = c.clk.Now()
	}
	h.State, h.Detail, h.Until = state, detail, until
	c.health = h
	sink := c.sink
	c.mu.Unlock()
	if sink != nil {
		sink.ReportHealth(h)
	}
}

// backoff is the wait before retry n (1-based): doubling from backoffMin to
// backoffMax, with jitter in [d/2, d].
func backoff(n int) time.Duration {
	d := backoffMin
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
