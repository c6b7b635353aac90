// Package matrix is Sluice's Matrix connector (Element and every other
// Matrix client's network). It signs in to the user's homeserver with an
// access token or a password, follows /sync, and hands the gate direct
// messages, mentions of the user and the messages of a few chosen rooms;
// during a focus block it sets the user's presence to "unavailable" with a
// status message ("Deep work — replies at 14:00") and restores it after.
//
// The connector translates; it never decides, and it changes nothing the
// user would notice: it never sends read receipts or read markers, syncs
// with set_presence=offline so that Sluice running does not show the user
// as online, and joins no room. Messages in encrypted rooms are recorded as
// "Encrypted message in <room>" with a link to open them in the user's
// client, since the connector holds no keys.
//
// Where it is: the /sync since-token ("since") and the set of direct-message
// rooms ("direct"), written in the same sink batch as the items they
// produced; a gap the server reports (a limited timeline) is filled from
// /messages back to the previous token, so a restart resumes exactly where
// the last batch ended.
package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Defaults for Options fields left zero.
const (
	DefaultLinkBase    = "https://matrix.to/#/"
	DefaultStatusText  = "Deep work — replies at {reply}"
	DefaultSyncTimeout = 30 * time.Second
	DefaultLookback    = 24 * time.Hour
)

const (
	sinceKey               = "since"
	directKey              = "direct"
	focusKey               = "focus"
	firstSyncLimit         = 20  // events per room on the very first sync
	timelineLimit          = 50  // events per room on later syncs; more come from /messages
	maxBackfill            = 500 // events per room fetched to fill one gap
	backoffMin, backoffMax = 2 * time.Second, 5 * time.Minute
	defaultRetryAfter      = 5 * time.Second
	deviceName             = "Sluice"
)

// ErrAuth means the homeserver rejected the credential (M_FORBIDDEN at
// login, M_UNKNOWN_TOKEN, a deactivated user) or none is set. The connector
// reports auth-failed and makes no further calls until Wake or a rebuild.
var ErrAuth = errors.New("matrix authentication failed")

// Options configures one Matrix account.
type Options struct {
	// Account is the configured account name; it scopes items and cursors.
	Account string
	// Homeserver is the server's base URL ("https://matrix.example.org") or
	// the server name from the user ID ("example.org"); its
	// /.well-known/matrix/client is followed when it names another base URL.
	Homeserver string
	// UserID is the user ("@me:example.org"); needed for password login,
	// else read from the token.
	UserID string
	// AccessToken returns a stored access token, or "" when there is none.
	AccessToken func(ctx context.Context) (string, error)
	// Password returns the password, used when there is no token (or it was
	// logged out); nil for token-only accounts.
	Password func(ctx context.Context) (string, error)
	// SaveToken stores the access token a password login returned, so the
	// next start signs in without a new device (the keyring); nil keeps it
	// in memory only.
	SaveToken func(ctx context.Context, token string) error
	// Rooms are the chosen rooms to watch besides DMs and mentions: room IDs
	// ("!abc:example.org") or aliases ("#team:example.org").
	Rooms []string
	// LinkBase starts every deep link: matrix.to by default, or an Element
	// web's "https://element.example.org/#/room/".
	LinkBase string
	// SetPresence sets presence "unavailable" with StatusText during focus.
	SetPresence bool
	// StatusText is the status template: {reply} becomes the next
	// check-in's time, {until} the block's end (default DefaultStatusText).
	StatusText string
	// SyncTimeout is how long one /sync waits for news (default 30 s).
	SyncTimeout time.Duration
	// Lookback is how old a message the very first sync may hand over
	// (default 24 h).
	Lookback time.Duration
	// HTTPClient makes the requests (default: one with a timeout a little
	// over SyncTimeout). TLS is verified.
	HTTPClient *http.Client
	// Logger receives diagnostics without tokens or message bodies.
	Logger *slog.Logger
	// Clock is the time source; nil means the real clock.
	Clock clock.Clock
}

// Identity is who the connector signed in as.
type Identity struct {
	UserID     string // "@me:example.org"
	DeviceID   string
	Homeserver string // the base URL after discovery
}

// Connector is one Matrix account. It implements model.Connector,
// model.Waker and model.FocusMirror. Run may be called once at a time;
// Test, Wake, FocusStarted and FocusEnded may be called concurrently.
type Connector struct {
	opt  Options
	log  *slog.Logger
	clk  clock.Clock
	http *http.Client
	wake chan struct{}

	connMu sync.Mutex // serialises signing in
	mu     sync.Mutex
	sess   *session
	sink   model.Sink
	health model.Health
	mark   *focusMark
	abort  context.CancelFunc // ends the /sync in flight (Wake)

	cacheMu sync.Mutex
	names   map[id.RoomID]string               // room display names
	people  map[id.RoomID]map[id.UserID]string // display names by room
	chosen  map[id.RoomID]bool                 // chosen rooms, once resolved
	crypt   map[id.RoomID]bool                 // encrypted rooms
	direct  map[id.RoomID]bool                 // DM rooms
	invited map[id.RoomID]bool                 // invites handed over in this run
	missing []string                           // chosen rooms that could not be resolved
}

var (
	_ model.Connector   = (*Connector)(nil)
	_ model.Waker       = (*Connector)(nil)
	_ model.FocusMirror = (*Connector)(nil)
)

// session is a signed-in client.
type session struct {
	cli *mautrix.Client
	me  id.UserID
	id  Identity
}

// New checks opt, fills in defaults and returns the connector. It makes no
// network calls.
func New(opt Options) (*Connector, error) {
	switch {
	case strings.TrimSpace(opt.Account) == "":
		return nil, errors.New("matrix: account: empty name")
	case strings.TrimSpace(opt.Homeserver) == "":
		return nil, errors.New("matrix: homeserver: empty")
	case opt.AccessToken == nil && opt.Password == nil:
		return nil, errors.New("matrix: no access token or password source")
	case opt.Password != nil && opt.UserID == "":
		return nil, errors.New("matrix: user: a password login needs the user ID (@me:example.org)")
	case opt.SyncTimeout < 0 || opt.Lookback < 0:
		return nil, errors.New("matrix: sync timeout and lookback must not be negative")
	}
	if opt.UserID != "" {
		if _, _, err := id.UserID(opt.UserID).Parse(); err != nil {
			return nil, fmt.Errorf("matrix: user: %q is not a Matrix user ID like @me:example.org", opt.UserID)
		}
	}
	for i, r := range opt.Rooms {
		r = strings.TrimSpace(r)
		if len(r) < 4 || (r[0] != '!' && r[0] != '#') || !strings.Contains(r, ":") {
			return nil, fmt.Errorf("matrix: rooms[%d]: %q is not a room ID (!abc:example.org) or alias (#team:example.org)", i, opt.Rooms[i])
		}
	}
	if opt.LinkBase == "" {
		opt.LinkBase = DefaultLinkBase
	}
	if u, err := url.Parse(opt.LinkBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("matrix: link base: %q is not an http(s) URL", opt.LinkBase)
	}
	if opt.StatusText == "" {
		opt.StatusText = DefaultStatusText
	}
	if opt.SyncTimeout == 0 {
		opt.SyncTimeout = DefaultSyncTimeout
	}
	if opt.Lookback == 0 {
		opt.Lookback = DefaultLookback
	}
	c := &Connector{opt: opt, log: opt.Logger, clk: opt.Clock, http: opt.HTTPClient, wake: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.log = c.log.With("connector", "matrix", "account", opt.Account)
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: opt.SyncTimeout + 30*time.Second}
	}
	c.resetCaches()
	c.health = model.Health{Account: opt.Account, Kind: model.KindMatrix, State: model.HealthStarting}
	return c, nil
}

func (c *Connector) resetCaches() {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	c.names = map[id.RoomID]string{}
	c.people = map[id.RoomID]map[id.UserID]string{}
	c.crypt = map[id.RoomID]bool{}
	c.invited = map[id.RoomID]bool{}
	c.chosen = nil
}

// Kind implements model.Connector.
func (c *Connector) Kind() model.Kind { return model.KindMatrix }

// Account implements model.Connector.
func (c *Connector) Account() string { return c.opt.Account }

// Wake implements model.Waker: end the /sync in flight (its connection may
// have died in a suspend) and sync at once; after an auth failure, read the
// credentials again.
func (c *Connector) Wake() {
	c.mu.Lock()
	abort := c.abort
	c.mu.Unlock()
	if abort != nil {
		abort()
	}
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

// Test signs in (without a new device when a token is stored) and says
// who the credentials belong to. Errors wrap ErrAuth when the homeserver
// rejects them.
func (c *Connector) Test(ctx context.Context) (Identity, error) {
	s, err := c.signIn(ctx)
	if err != nil {
		return Identity{}, err
	}
	return s.id, nil
}

// discover resolves the homeserver's base URL: a bare server name gets
// https://; /.well-known/matrix/client may name another base URL.
func (c *Connector) discover(ctx context.Context) (*url.URL, error) {
	hs := strings.TrimSpace(c.opt.Homeserver)
	if !strings.Contains(hs, "://") {
		hs = "https://" + hs
	}
	base, err := url.Parse(hs)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("matrix: homeserver: %q is not a server name or an http(s) URL", c.opt.Homeserver)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath(".well-known", "matrix", "client").String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("matrix: reach %s: %w", base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		var wk struct {
			Homeserver struct {
				BaseURL string `json:"base_url"`
			} `json:"m.homeserver"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&wk); err == nil && wk.Homeserver.BaseURL != "" {
			u, err := url.Parse(strings.TrimSuffix(wk.Homeserver.BaseURL, "/"))
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, fmt.Errorf("matrix: %s/.well-known/matrix/client names a bad base URL %q", base.Host, wk.Homeserver.BaseURL)
			}
			if u.Scheme == "http" && base.Scheme == "https" {
				return nil, fmt.Errorf("matrix: %s/.well-known/matrix/client points to plain http %q", base.Host, u)
			}
			c.log.Debug("homeserver discovered", "base_url", u.String())
			return u, nil
		}
	}
	return base, nil
}

// signIn builds a client: with the stored token when there is one, else
// (or when the token was logged out) by password, saving the new token.
func (c *Connector) signIn(ctx context.Context) (*session, error) {
	base, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	cli, err := mautrix.NewClient(base.String(), id.UserID(c.opt.UserID), "")
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	cli.Client = c.http
	cli.Log = zerolog.Nop()
	cli.UserAgent = "Sluice"
	cli.DefaultHTTPRetries = 0 // the connector retries, on its clock
	cli.IgnoreRateLimit = true // M_LIMIT_EXCEEDED comes back to the connector
	if _, err := cli.Versions(ctx); err != nil {
		return nil, fmt.Errorf("matrix: %s is not a Matrix homeserver: %w", base.Host, err)
	}
	tok := ""
	if c.opt.AccessToken != nil {
		if tok, err = c.opt.AccessToken(ctx); err != nil {
			return nil, &secretError{err: err}
		}
		tok = strings.TrimSpace(tok)
	}
	if tok != "" {
		cli.AccessToken = tok
		who, err := cli.Whoami(ctx)
		switch {
		case err == nil:
			cli.UserID, cli.DeviceID = who.UserID, who.DeviceID
			return c.newSession(cli, base), nil
		case !errors.Is(err, mautrix.MUnknownToken) || c.opt.Password == nil:
			return nil, classify(err, c.clk.Now())
		}
		c.log.Info("stored token no longer valid; signing in with the password")
		cli.AccessToken = ""
	}
	if c.opt.Password == nil {
		return nil, fmt.Errorf("%w: no access token stored (sluice account set-token %s)", ErrAuth, c.opt.Account)
	}
	pass, err := c.opt.Password(ctx)
	if err != nil {
		return nil, &secretError{err: err}
	}
	if pass == "" {
		return nil, fmt.Errorf("%w: no password or token stored (sluice account set-password %s)", ErrAuth, c.opt.Account)
	}
	resp, err := cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: c.opt.UserID},
		Password:                 pass,
		InitialDeviceDisplayName: deviceName,
		StoreCredentials:         true,
	})
	if err != nil {
		return nil, classify(err, c.clk.Now())
	}
	if c.opt.SaveToken != nil {
		if err := c.opt.SaveToken(ctx, resp.AccessToken); err != nil {
			c.log.Warn("could not store the access token; the next start signs in again", "err", err)
		}
	}
	return c.newSession(cli, base), nil
}

func (c *Connector) newSession(cli *mautrix.Client, base *url.URL) *session {
	return &session{cli: cli, me: cli.UserID, id: Identity{UserID: cli.UserID.String(), DeviceID: cli.DeviceID.String(), Homeserver: base.String()}}
}

// session returns the current session, signing in if there is none.
func (c *Connector) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	c.connMu.Lock()
	defer c.connMu.Unlock()
	c.mu.Lock()
	s = c.sess
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := c.signIn(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	c.log.Info("signed in", "user", s.me.String(), "homeserver", s.id.Homeserver)
	return s, nil
}

func (c *Connector) dropSession() {
	c.mu.Lock()
	c.sess = nil
	c.mu.Unlock()
}

// secretError means a credential could not be read (a locked keyring);
// that may pass, so it is retried with backoff.
type secretError struct{ err error }

func (e *secretError) Error() string { return "read credential: " + e.err.Error() }
func (e *secretError) Unwrap() error { return e.err }

// rateLimitError is M_LIMIT_EXCEEDED: wait until Until.
type rateLimitError struct{ Until time.Time }

func (e *rateLimitError) Error() string {
	return "rate limited until " + e.Until.Format(time.TimeOnly)
}

// classify turns a homeserver error into ErrAuth, a rate limit, or itself.
func classify(err error, now time.Time) error {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.RespError == nil {
		return err
	}
	re := he.RespError
	switch re.ErrCode {
	case mautrix.MLimitExceeded.ErrCode:
		wait := defaultRetryAfter
		if ms, ok := re.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			wait = time.Duration(ms) * time.Millisecond
		} else if he.Response != nil {
			if d, err := time.ParseDuration(he.Response.Header.Get("Retry-After") + "s"); err == nil && d > 0 {
				wait = d
			}
		}
		return &rateLimitError{Until: now.Add(wait)}
	case mautrix.MUnknownToken.ErrCode, mautrix.MForbidden.ErrCode, mautrix.MUserDeactivated.ErrCode, "M_MISSING_TOKEN":
		return fmt.Errorf("%w: %s", ErrAuth, re.Err)
	}
	if he.Response != nil && he.Response.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w: %s", ErrAuth, re.Err)
	}
	return err
}
