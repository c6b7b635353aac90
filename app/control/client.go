package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// ErrNotRunning means no Sluice answers on the data directory's endpoint.
//
//lint:ignore ST1005 Sluice is a product name, and this is the message users see.
var ErrNotRunning = errors.New("Sluice is not running (start it with `sluice` or `sluice daemon`)")

// EndpointError is a control endpoint that exists but that this user
// cannot or must not use: it refuses the connection (permission denied),
// or it is not the user's own (another user's socket or directory, or a
// process of another user answering on it). Nothing is sent to it.
type EndpointError struct {
	Path string // the socket, or the directory it is in
	Msg  string // what is wrong, in words that name Path
	Err  error  // the system's error, if one caused it
}

func (e *EndpointError) Error() string { return e.Msg }

// Unwrap returns the underlying system error, if any.
func (e *EndpointError) Unwrap() error { return e.Err }

// Error is an error answer from the server.
type Error struct {
	Code   int
	Msg    string
	Fields []string
}

func (e *Error) Error() string { return e.Msg }

// NotFound reports whether the server said the thing does not exist.
func (e *Error) NotFound() bool { return e.Code == http.StatusNotFound }

// Client talks to a running Sluice.
type Client struct {
	hc   *http.Client
	base string
}

// NewClient returns a client for the Sluice running on dataDir. It does
// not connect until the first call.
func NewClient(dataDir string) *Client {
	network, addr, err := dialer(dataDir)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			if err != nil {
				return nil, err
			}
			c, derr := dialContext(ctx, network, addr)
			if derr != nil {
				return nil, dialError(addr, derr)
			}
			if err := checkPeer(c, addr); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
		DisableCompression: true,
	}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://sluice"}
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return dialFailed(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var er ErrorReply
		if err := json.NewDecoder(resp.Body).Decode(&er); err != nil || er.Error == "" {
			return &Error{Code: resp.StatusCode, Msg: resp.Status}
		}
		return &Error{Code: resp.StatusCode, Msg: er.Error, Fields: er.Fields}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("control API: bad answer: %w", err)
	}
	return nil
}

// Status returns the running Sluice's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	return s, c.do(ctx, "GET", "/v1/status", nil, &s)
}

// Checkin releases everything held now.
func (c *Client) Checkin(ctx context.Context) (gate.Checkin, error) {
	var r gate.Checkin
	return r, c.do(ctx, "POST", "/v1/checkin", nil, &r)
}

// Focus starts focus for a duration ("50m") or until the next check-in ("next").
func (c *Client) Focus(ctx context.Context, duration string) (gate.Status, error) {
	var r gate.Status
	return r, c.do(ctx, "POST", "/v1/focus", DurationRequest{duration}, &r)
}

// EndFocus ends the current focus block.
func (c *Client) EndFocus(ctx context.Context) (gate.Status, error) {
	var r gate.Status
	return r, c.do(ctx, "POST", "/v1/focus/end", nil, &r)
}

// Pause delivers everything live for a duration.
func (c *Client) Pause(ctx context.Context, duration string) (gate.Status, error) {
	var r gate.Status
	return r, c.do(ctx, "POST", "/v1/pause", DurationRequest{duration}, &r)
}

// Resume ends a pause.
func (c *Client) Resume(ctx context.Context) (gate.Status, error) {
	var r gate.Status
	return r, c.do(ctx, "POST", "/v1/resume", nil, &r)
}

// List returns one page of the items in a state, newest first.
func (c *Client) List(ctx context.Context, state model.State, q gate.ListQuery) (gate.Page, error) {
	v := url.Values{"state": {state.String()}}
	if q.Query != "" {
		v.Set("q", q.Query)
	}
	if q.Limit > 0 {
		v.Set("limit", fmt.Sprint(q.Limit))
	}
	if q.Before > 0 {
		v.Set("before", fmt.Sprint(q.Before))
	}
	if q.After > 0 {
		v.Set("after", fmt.Sprint(q.After))
	}
	var r gate.Page
	return r, c.do(ctx, "GET", "/v1/items?"+v.Encode(), nil, &r)
}

// eachPage is the page size of Each: small enough that a page costs the
// daemon little memory, large enough that 20,000 items take a second.
const eachPage = 250

// Each calls fn for every item in a state whose text contains query
// (empty: every item), newest first, fetching a page at a time so that
// neither side holds them all. It stops at fn's first error.
func (c *Client) Each(ctx context.Context, state model.State, query string, fn func(model.Item) error) error {
	q := gate.ListQuery{Query: query, Limit: eachPage}
	for {
		p, err := c.List(ctx, state, q)
		if err != nil {
			return err
		}
		for _, it := range p.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if p.Older == 0 {
			return nil
		}
		q.Before = p.Older
	}
}

// Item returns one item (with its decision log) by id or unique prefix.
func (c *Client) Item(ctx context.Context, id string) (model.Item, error) {
	var r model.Item
	return r, c.do(ctx, "GET", "/v1/items/"+url.PathEscape(id), nil, &r)
}

// Done marks items done.
func (c *Client) Done(ctx context.Context, ids []string) (int, error) {
	var r CountReply
	return r.Count, c.do(ctx, "POST", "/v1/done", IDsRequest{IDs: ids}, &r)
}

// DoneAll marks every released item done.
func (c *Client) DoneAll(ctx context.Context) (int, error) {
	var r CountReply
	return r.Count, c.do(ctx, "POST", "/v1/done", IDsRequest{All: true}, &r)
}

// Snooze puts items back on hold until the next check-in.
func (c *Client) Snooze(ctx context.Context, ids []string) (int, error) {
	var r CountReply
	return r.Count, c.do(ctx, "POST", "/v1/snooze", IDsRequest{IDs: ids}, &r)
}

// Send pushes an item into the local inbox; it is durable when Send returns.
func (c *Client) Send(ctx context.Context, msg SendRequest) (string, error) {
	var r SendReply
	return r.ID, c.do(ctx, "POST", "/v1/send", msg, &r)
}

// TestRule classifies an imaginary item now.
func (c *Client) TestRule(ctx context.Context, req RuleTestRequest) (gate.Verdict, error) {
	var r gate.Verdict
	return r, c.do(ctx, "POST", "/v1/rules/test", req, &r)
}

// Config returns the config in force.
func (c *Client) Config(ctx context.Context) (config.Config, error) {
	var r config.Config
	return r, c.do(ctx, "GET", "/v1/config", nil, &r)
}

// SetConfig validates, saves and applies a config. Validation errors come
// back as *Error with Fields.
func (c *Client) SetConfig(ctx context.Context, cfg config.Config) error {
	return c.do(ctx, "PUT", "/v1/config", cfg, nil)
}

// Reload re-reads the config file.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, "POST", "/v1/config/reload", nil, nil)
}

// Stats returns per-day statistics for the last days.
func (c *Client) Stats(ctx context.Context, days int) ([]gate.DayStats, error) {
	var r []gate.DayStats
	return r, c.do(ctx, "GET", fmt.Sprintf("/v1/stats?days=%d", days), nil, &r)
}

// OpenWindow asks the resident process to open a window.
func (c *Client) OpenWindow(ctx context.Context, name string) error {
	return c.do(ctx, "POST", "/v1/window", WindowRequest{name}, nil)
}

// AccountTest tests an account's connection from the running process.
func (c *Client) AccountTest(ctx context.Context, name string) (string, error) {
	var r MessageReply
	return r.Message, c.do(ctx, "POST", "/v1/accounts/"+url.PathEscape(name)+"/test", nil, &r)
}

// Schedule returns the coming days (1–31) as the running Sluice will run
// them, with meetings, moved check-ins and published focus blocks.
func (c *Client) Schedule(ctx context.Context, days int) (Schedule, error) {
	var out Schedule
	err := c.do(ctx, "GET", "/v1/schedule?days="+strconv.Itoa(days), nil, &out)
	return out, err
}

// RetryAccount asks the running Sluice to retry an account at once if its
// login was refused or it waits to retry; it reports whether it did.
func (c *Client) RetryAccount(ctx context.Context, name string) (bool, error) {
	var r RetryReply
	err := c.do(ctx, "POST", "/v1/accounts/"+url.PathEscape(name)+"/retry", nil, &r)
	return r.Retrying, err
}

// Quit stops the running Sluice.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.QuitSaying(ctx)
	return err
}

// QuitSaying stops the running Sluice and returns what it did first, in
// words ("quitting", or what release_on_quit released).
func (c *Client) QuitSaying(ctx context.Context) (string, error) {
	var r MessageReply
	err := c.do(ctx, "POST", "/v1/quit", nil, &r)
	return r.Message, err
}

// ReleaseAccount moves everything the account holds on the server back to
// INBOX.
func (c *Client) ReleaseAccount(ctx context.Context, name string) (ReleaseReply, error) {
	var r ReleaseReply
	err := c.do(ctx, "POST", "/v1/accounts/"+url.PathEscape(name)+"/release", nil, &r)
	return r, err
}

// Events streams gate events until ctx is done or the server goes away.
// The returned channel is closed then.
func (c *Client) Events(ctx context.Context) (<-chan gate.Event, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/events", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, dialFailed(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &Error{Code: resp.StatusCode, Msg: resp.Status}
	}
	ch := make(chan gate.Event, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			var e gate.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				continue
			}
			select {
			case ch <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// dialFailed unwraps the endpoint's own errors from the HTTP client's.
func dialFailed(err error) error {
	var ee *EndpointError
	switch {
	case errors.Is(err, ErrNotRunning):
		return ErrNotRunning
	case errors.As(err, &ee):
		return ee
	}
	return fmt.Errorf("control API: %w", err)
}

// Running reports whether a Sluice answers on dataDir, within timeout.
func Running(dataDir string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := NewClient(dataDir).Status(ctx)
	return err == nil
}
