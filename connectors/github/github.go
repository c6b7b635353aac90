// Package github is Sluice's GitHub connector: it pulls the user's
// notifications (review requests, mentions, assignments, CI results, …)
// from the REST notifications API into the gate, with a classic personal
// access token or a token from the OAuth device flow (app/oauth's
// GitHubDeviceLogin).
//
// It polls as GitHub asks clients to: never more often than the
// X-Poll-Interval header allows, with If-Modified-Since so an unchanged
// list costs a 304 and no rate limit, following Link pagination, and
// pausing for the primary rate limit (X-RateLimit-Remaining/Reset) and for
// secondary limits (403 or 429 with Retry-After, else at least a minute).
//
// The connector translates; it never decides. Each notification becomes an
// item carrying GitHub's reason (review_requested, mention, ci_activity, …)
// so rules can make "review requested" urgent and "ci_activity" quiet, and a
// link to the thread's page on GitHub. It never marks a notification read,
// except when the user marks the item done and the account asks for it
// (MarkReadOnDone).
//
// Where it is: one cursor ("notifications") holding the list's
// Last-Modified, the newest update seen and the threads seen near it, written
// in the same sink batch as the items it produced.
//
// Plain net/http rather than a client library: the connector needs five
// endpoints, and the conditional requests, poll interval and rate-limit
// handling GitHub documents are exactly the part a general client leaves
// to its caller.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Defaults for Options fields left zero.
const (
	DefaultAPIURL       = "https://api.github.com/"
	DefaultPollInterval = 60 * time.Second // GitHub's usual X-Poll-Interval
	DefaultLookback     = 24 * time.Hour
)

const (
	cursorKey              = "notifications"
	overlap                = 10 * time.Minute // re-read window, against late-listed updates
	perPage                = 50
	maxPages               = 10
	secondaryWait          = time.Minute // GitHub: wait at least a minute when no Retry-After is given
	backoffMin, backoffMax = 2 * time.Second, 5 * time.Minute
	maxBody                = 4 << 20
	apiVersion             = "2022-11-28"
)

// ErrAuth means GitHub rejected the token (401, or 403 for a token that may
// not read notifications) or none is set. The connector reports auth-failed
// and makes no further calls until Wake or a rebuild.
var ErrAuth = errors.New("github authentication failed")

// Options configures one GitHub account. Only Account and Token are
// required.
type Options struct {
	// Account is the configured account name; it scopes items and cursors.
	Account string
	// Token returns the access token (a classic personal access token with
	// the notifications scope, or one from the device flow). It is never logged.
	Token func(ctx context.Context) (string, error)
	// APIURL is the REST API's base URL (default https://api.github.com/;
	// GitHub Enterprise: https://HOST/api/v3/).
	APIURL string
	// WebURL is where the pages live, for links the API does not give
	// (default: github.com for the public API, the host for Enterprise).
	WebURL string
	// Participating limits the notifications to threads the user takes part
	// in (mentioned, assigned, review requested, author, commented).
	Participating bool
	// MarkReadOnDone marks a notification thread read on GitHub when the
	// user marks its item done. Off by default: Sluice never changes
	// anything on GitHub unless asked.
	MarkReadOnDone bool
	// PollInterval is the time between polls (default 60 s); a larger
	// X-Poll-Interval from GitHub wins.
	PollInterval time.Duration
	// Lookback is how far back the very first poll of an account reaches
	// (default 24 h). Later starts resume from the cursor.
	Lookback time.Duration
	// HTTPClient makes the requests (default: a client with a 60 s
	// timeout). TLS is verified.
	HTTPClient *http.Client
	// Logger receives diagnostics without tokens or bodies; nil discards.
	Logger *slog.Logger
	// Clock is the time source; nil means the real clock.
	Clock clock.Clock
}

// Identity is who a token belongs to.
type Identity struct {
	Login  string   // the user's login
	Scopes []string // the token's OAuth scopes (classic tokens), as GitHub lists them
}

// Connector is one GitHub account. It implements model.Connector,
// model.Waker and model.DoneMarker. Run may be called once at a time; Test,
// Wake and MarkDone may be called concurrently with it.
type Connector struct {
	opt  Options
	api  *url.URL
	web  *url.URL
	log  *slog.Logger
	clk  clock.Clock
	http *http.Client
	wake chan struct{}

	mu     sync.Mutex
	sink   model.Sink
	health model.Health
	token  string // the token in use; "" until read
}

var (
	_ model.Connector  = (*Connector)(nil)
	_ model.Waker      = (*Connector)(nil)
	_ model.DoneMarker = (*Connector)(nil)
)

// New checks opt, fills in defaults and returns the connector. It makes no
// network calls.
func New(opt Options) (*Connector, error) {
	switch {
	case strings.TrimSpace(opt.Account) == "":
		return nil, errors.New("github: account: empty name")
	case opt.Token == nil:
		return nil, errors.New("github: token: no token source")
	case opt.PollInterval < 0:
		return nil, fmt.Errorf("github: poll interval: negative (%s)", opt.PollInterval)
	case opt.Lookback < 0:
		return nil, fmt.Errorf("github: lookback: negative (%s)", opt.Lookback)
	}
	if opt.APIURL == "" {
		opt.APIURL = DefaultAPIURL
	}
	api, err := baseURL(opt.APIURL)
	if err != nil {
		return nil, fmt.Errorf("github: api url: %w", err)
	}
	var web *url.URL
	if opt.WebURL != "" {
		if web, err = baseURL(opt.WebURL); err != nil {
			return nil, fmt.Errorf("github: web url: %w", err)
		}
	} else {
		web = webFromAPI(api)
	}
	if opt.PollInterval == 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.Lookback == 0 {
		opt.Lookback = DefaultLookback
	}
	c := &Connector{opt: opt, api: api, web: web, log: opt.Logger, clk: opt.Clock, http: opt.HTTPClient, wake: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.log = c.log.With("connector", "github", "account", opt.Account)
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	c.health = model.Health{Account: opt.Account, Kind: model.KindGitHub, State: model.HealthStarting}
	return c, nil
}

// baseURL parses an http(s) base URL and makes its path end in "/".
func baseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// webFromAPI guesses the web base from the API base: api.github.com →
// github.com; https://HOST/api/v3/ → https://HOST/.
func webFromAPI(api *url.URL) *url.URL {
	w := *api
	switch {
	case strings.EqualFold(api.Host, "api.github.com"):
		w.Host, w.Path = "github.com", "/"
	case strings.HasSuffix(api.Path, "/api/v3/"):
		w.Path = strings.TrimSuffix(api.Path, "api/v3/")
	}
	return &w
}

// Kind implements model.Connector.
func (c *Connector) Kind() model.Kind { return model.KindGitHub }

// Account implements model.Connector.
func (c *Connector) Account() string { return c.opt.Account }

// Wake implements model.Waker: poll now (the poll interval GitHub asked
// for still holds), or, after an auth failure, read the token again.
func (c *Connector) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Health returns the connector's last reported condition.
func (c *Connector) Health() model.Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}

// Test checks the token (GET /user, then one notification) and says who it
// belongs to. Errors wrap ErrAuth when GitHub rejects the token.
func (c *Connector) Test(ctx context.Context) (Identity, error) {
	tok, err := c.readToken(ctx)
	if err != nil {
		return Identity{}, err
	}
	var u struct {
		Login string `json:"login"`
	}
	resp, err := c.get(ctx, tok, c.api.JoinPath("user").String(), "", &u)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Login: u.Login}
	for _, s := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			id.Scopes = append(id.Scopes, s)
		}
	}
	q := url.Values{"per_page": {"1"}}
	if _, err := c.get(ctx, tok, c.api.JoinPath("notifications").String()+"?"+q.Encode(), "", nil); err != nil {
		return id, fmt.Errorf("read notifications: %w", err)
	}
	return id, nil
}

// readToken reads the token from its source.
func (c *Connector) readToken(ctx context.Context) (string, error) {
	tok, err := c.opt.Token(ctx)
	if err != nil {
		return "", &tokenError{err: err}
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("%w: no token set (sluice account set-token %s)", ErrAuth, c.opt.Account)
	}
	return tok, nil
}

// tokenError means the token could not be read (e.g. a locked keyring);
// that may pass, so it is retried with backoff rather than reported as an
// auth failure.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "read token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }
