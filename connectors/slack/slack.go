// Package slack is Sluice's Slack connector. With the user's own token
// (xoxp-, from an app the user created from packaging/slack-manifest.yaml)
// it pulls direct messages, group DMs, mentions of the user and a few chosen
// channels into the gate, either by polling or, when an app-level token
// (xapp-) is given, from Socket Mode events; and it mirrors focus blocks on
// Slack as Do Not Disturb plus a status ("Deep work — replies after 14:00").
//
// The connector translates; it never decides. Whether an item is held or
// breaks through is the gate's call, made from the facts set here (Direct,
// MentionsMe, Channel, sender).
//
// Where it is: one cursor per conversation ("conv:C123", the newest message
// timestamp seen), the watched threads of that conversation ("threads:C123"),
// the mention search ("search:mentions") and the start of history
// ("since"), all written in the same sink batch as the items they produced,
// so a restart resumes exactly where the last batch ended.
package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Defaults for Options fields left zero.
const (
	DefaultPollInterval = 2 * time.Minute
	DefaultSocketSweep  = 15 * time.Minute
	DefaultLookback     = 24 * time.Hour
	DefaultThreadWatch  = 48 * time.Hour
	DefaultMinCallGap   = 1200 * time.Millisecond
	DefaultStatusText   = "Deep work — replies after {reply}"
	DefaultStatusEmoji  = ":no_bell:"
	// DefaultVacationText and DefaultVacationEmoji are the status during
	// a vacation.
	DefaultVacationText  = "On vacation — replies after {reply}"
	DefaultVacationEmoji = ":palm_tree:"
)

const (
	defaultAPIURL          = slackapi.APIURL
	maxStatusRunes         = 100 // Slack's limit on status_text
	maxWatchedThreads      = 10  // per conversation, newest activity first
	searchOverlap          = 5 * time.Minute
	maxSearchPages         = 10
	userCacheTTL           = 24 * time.Hour
	channelResolveEvery    = time.Hour
	backoffMin, backoffMax = 2 * time.Second, 5 * time.Minute
	defaultRetryAfter      = 60 * time.Second
	pageLimit              = 200
	searchPageSize         = 50
	sentTTL                = time.Hour
	fullSweepEvery         = 10                 // periodic sweeps between reads of dormant DMs
	dormantAfter           = 7 * 24 * time.Hour // a DM this quiet is read only in full sweeps
)

// ErrAuth means Slack rejected the token (invalid_auth, token_revoked,
// not_authed, account_inactive, …) or none is set. The user must act: the
// connector reports auth-failed and makes no further calls until Wake or a
// rebuild.
var ErrAuth = errors.New("slack authentication failed")

// Options configures one Slack account. Only Account and Token are
// required; zero values take the defaults above. SetDND and SetStatus are
// off unless set (the config layer turns them on by default).
type Options struct {
	// Account is the configured account name; it scopes items and cursors.
	Account string
	// Token returns the user token (xoxp-) from the keyring. It is called on
	// start, after an auth failure once Wake is called, and for Test; the
	// token is never logged. An empty token means "not set yet".
	Token func(ctx context.Context) (string, error)
	// AppToken optionally returns an app-level token (xapp-) for Socket
	// Mode. Nil, or an empty token, means polling only.
	AppToken func(ctx context.Context) (string, error)
	// Channels are the chosen channels to watch besides DMs, group DMs and
	// mentions: by name ("#eng" or "eng", among the channels the user is
	// in) or by ID ("C0123ABCD", any channel the token may read).
	Channels []string

	// PollInterval is the time between sweeps when polling (default 2 min,
	// jittered by ±10%). A sweep never overlaps the previous one.
	PollInterval time.Duration
	// SocketSweep is the time between safety sweeps while Socket Mode is
	// connected (default 15 min); they also move the cursors on.
	SocketSweep time.Duration
	// Lookback is how far back the very first sweep of an account reaches
	// (default 24 h). Later starts resume from the cursors.
	Lookback time.Duration
	// ThreadWatch is how long a thread stays watched for new replies after
	// its last activity (default 48 h).
	ThreadWatch time.Duration
	// MinCallGap spreads Web API calls at least this far apart (default
	// 1.2 s, i.e. within Slack's Tier 3 of 50 calls a minute). Negative
	// disables spacing (tests).
	MinCallGap time.Duration

	// SetDND snoozes notifications (dnd.setSnooze) for a focus block.
	SetDND bool
	// SetStatus sets a status for a focus block, unless the user has a
	// status of their own.
	SetStatus bool
	// StatusText is the status template: {reply} becomes the reply time
	// (the next check-in; "14:00" today, else "Mon 09:00") and {until} the
	// block's end, both in the user's zone. Default DefaultStatusText.
	StatusText string
	// StatusEmoji defaults to DefaultStatusEmoji.
	StatusEmoji string

	// APIURL is the Web API base URL, ending in "/" (test knob; default
	// Slack's).
	APIURL string
	// Logger receives diagnostics without tokens or message bodies; nil
	// discards them.
	Logger *slog.Logger
	// Clock is the time source; nil means the real clock. Tests pass a
	// fake one so that poll intervals, Retry-After waits and backoff take
	// no real time.
	Clock clock.Clock
}

// Identity is who a token belongs to, as auth.test says.
type Identity struct {
	Team   string // workspace name, "Acme"
	TeamID string
	User   string // the user's handle
	UserID string
	URL    string // workspace URL, "https://acme.slack.com/"
	// SocketMode reports whether an app-level token was given and accepted
	// (Test only).
	SocketMode bool
}

// Connector is one Slack account. It implements model.Connector,
// model.Waker and model.FocusMirror. Run may be called once at a time;
// Test, Wake, FocusStarted and FocusEnded may be called concurrently with it.
type Connector struct {
	opt  Options
	log  *slog.Logger
	clk  clock.Clock
	lim  limiter
	wake chan struct{}

	connMu   sync.Mutex // serialises building a session
	ingestMu sync.Mutex // serialises handing batches over (see ingest)
	mu       sync.Mutex
	sess     *session
	sink     model.Sink
	health   model.Health
	mark     *focusMark // what Sluice set on Slack for the current focus block

	cacheMu     sync.Mutex
	users       map[string]userInfo
	convs       map[string]convInfo
	chosen      map[string]bool // chosen channel IDs, once resolved
	resolvedAt  time.Time
	missing     []string             // chosen channels that could not be found
	knownDirect map[string]bool      // DMs and group DMs in the last listing
	sent        map[string]time.Time // source IDs recently handed to the sink

	socketUp  atomic.Bool
	socketOff atomic.Bool  // the app-level token was refused: polling only
	appID     atomic.Value // string: our app's ID, from Socket Mode's hello
}

var (
	_ model.Connector   = (*Connector)(nil)
	_ model.Waker       = (*Connector)(nil)
	_ model.FocusMirror = (*Connector)(nil)
)

// session is a working API client and the identity behind its token.
type session struct {
	api      *slackapi.Client
	id       Identity
	token    string
	appToken string
}

// New checks opt, fills in defaults, and returns the connector. It makes no
// network calls.
func New(opt Options) (*Connector, error) {
	switch {
	case strings.TrimSpace(opt.Account) == "":
		return nil, errors.New("slack: account: empty name")
	case opt.Token == nil:
		return nil, errors.New("slack: token: no token source")
	case opt.PollInterval < 0:
		return nil, fmt.Errorf("slack: poll interval: negative (%s)", opt.PollInterval)
	case opt.SocketSweep < 0:
		return nil, fmt.Errorf("slack: socket sweep: negative (%s)", opt.SocketSweep)
	case opt.Lookback < 0:
		return nil, fmt.Errorf("slack: lookback: negative (%s)", opt.Lookback)
	case opt.ThreadWatch < 0:
		return nil, fmt.Errorf("slack: thread watch: negative (%s)", opt.ThreadWatch)
	}
	for i, ch := range opt.Channels {
		if n := strings.TrimPrefix(strings.TrimSpace(ch), "#"); n == "" || strings.ContainsAny(n, " \t<>|") {
			return nil, fmt.Errorf("slack: channels[%d]: %q is not a channel name or ID", i, ch)
		}
	}
	if opt.APIURL == "" {
		opt.APIURL = defaultAPIURL
	}
	if u, err := url.Parse(opt.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("slack: api url: %q is not an http(s) URL", opt.APIURL)
	}
	if !strings.HasSuffix(opt.APIURL, "/") {
		opt.APIURL += "/" // slack-go appends method names directly
	}
	opt.PollInterval = orDefault(opt.PollInterval, DefaultPollInterval)
	opt.SocketSweep = orDefault(opt.SocketSweep, DefaultSocketSweep)
	opt.Lookback = orDefault(opt.Lookback, DefaultLookback)
	opt.ThreadWatch = orDefault(opt.ThreadWatch, DefaultThreadWatch)
	switch {
	case opt.MinCallGap == 0:
		opt.MinCallGap = DefaultMinCallGap
	case opt.MinCallGap < 0:
		opt.MinCallGap = 0
	}
	if opt.StatusText == "" {
		opt.StatusText = DefaultStatusText
	}
	if opt.StatusEmoji == "" {
		opt.StatusEmoji = DefaultStatusEmoji
	}
	c := &Connector{
		opt:   opt,
		log:   opt.Logger,
		clk:   opt.Clock,
		wake:  make(chan struct{}, 1),
		users: map[string]userInfo{}, convs: map[string]convInfo{},
		sent: map[string]time.Time{},
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.log = c.log.With("connector", "slack", "account", opt.Account)
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	c.lim.gap = opt.MinCallGap
	c.lim.clk = c.clk
	c.health = model.Health{Account: opt.Account, Kind: model.KindSlack, State: model.HealthStarting}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Kind implements model.Connector.
func (c *Connector) Kind() model.Kind { return model.KindSlack }

// Account implements model.Connector.
func (c *Connector) Account() string { return c.opt.Account }

// Wake implements model.Waker: sweep now (backfilling from the cursors), or,
// after an auth failure, read the token again and retry. A rate limit's
// Retry-After is still honoured.
func (c *Connector) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Test checks the token with auth.test and returns who it belongs to; with
// an app-level token it also checks that token (apps.connections.open). It
// is what `sluice account test` and the settings window show. Errors wrap
// ErrAuth when Slack rejects a token.
func (c *Connector) Test(ctx context.Context) (Identity, error) {
	s, err := c.newSession(ctx)
	if err != nil {
		return Identity{}, err
	}
	id := s.id
	if s.appToken != "" {
		api := slackapi.New(s.token, slackapi.OptionAPIURL(c.opt.APIURL), slackapi.OptionAppLevelToken(s.appToken))
		err := c.call(ctx, "apps.connections.open", func(ctx context.Context) error {
			_, _, err := api.StartSocketModeContext(ctx)
			return err
		})
		if err != nil {
			return id, fmt.Errorf("app-level token: %w", err)
		}
		id.SocketMode = true
	}
	return id, nil
}

// newSession reads the tokens and checks the user token with auth.test.
func (c *Connector) newSession(ctx context.Context) (*session, error) {
	tok, err := c.opt.Token(ctx)
	if err != nil {
		return nil, &tokenError{err: err}
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, fmt.Errorf("%w: no token set (sluice account set-token %s)", ErrAuth, c.opt.Account)
	}
	s := &session{token: tok}
	if c.opt.AppToken != nil {
		app, err := c.opt.AppToken(ctx)
		if err != nil {
			// Socket Mode is optional: fall back to polling rather than fail.
			c.log.Warn("app-level token unavailable; polling instead", "err", err)
		}
		s.appToken = strings.TrimSpace(app)
	}
	s.api = slackapi.New(tok, slackapi.OptionAPIURL(c.opt.APIURL))
	var at *slackapi.AuthTestResponse
	err = c.call(ctx, "auth.test", func(ctx context.Context) error {
		var err error
		at, err = s.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.id = Identity{Team: at.Team, TeamID: at.TeamID, User: at.User, UserID: at.UserID, URL: at.URL}
	if s.id.UserID == "" {
		return nil, fmt.Errorf("%w: auth.test named no user (is this a user token?)", ErrAuth)
	}
	if at.BotID != "" {
		c.log.Warn("token belongs to a bot; DMs, search and DND need a user token (xoxp-)")
	}
	return s, nil
}

// session returns the current session, building one if there is none.
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
	s, err := c.newSession(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	c.log.Info("signed in", "team", s.id.Team, "user", s.id.User)
	return s, nil
}

// dropSession forgets the session so the next one reads the token again.
func (c *Connector) dropSession() {
	c.mu.Lock()
	c.sess = nil
	c.mu.Unlock()
}

// tokenError means the token could not be read (e.g. a locked keyring);
// that may pass, so it is retried with backoff rather than reported as an
// auth failure.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "read token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// jitter spreads d by ±10% so that many clients do not poll in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	span := int64(d) / 5
	if span <= 0 {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(rand.Int64N(span+1))
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
