// Package imap is Sluice's IMAP connector: it watches folders of a mail
// account and hands every new message to the gate as a model.Item.
//
// It reads with BODY.PEEK (never marking a message \Seen) and changes
// nothing on the server, unless the account holds mail on the server
// (Options.Hold, see hold.go): then the mail the gate holds moves between
// INBOX and the hold folder, and that is all that ever changes.
// Each folder is watched over its own connection, with IDLE where the server
// offers it (re-issued every IdleRefresh, well before servers drop idle
// clients at 30 minutes) and polling otherwise. A folder's position is a
// cursor (UIDVALIDITY, next UID, HIGHESTMODSEQ) written in the same Ingest call
// as the items it produced, so a crash neither loses nor repeats a message.
//
// Only what a snippet needs is fetched: a few header fields, the body
// structure and a bounded prefix of the first text part; attachments are never
// downloaded. ParseMessage is the same decoding applied to raw message bytes.
package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Security is how the connection to the server is protected.
type Security string

// Connection security modes.
const (
	// SecurityTLS is implicit TLS from the first byte (usually port 993).
	SecurityTLS Security = "tls"
	// SecurityStartTLS upgrades a plain connection with STARTTLS (usually
	// port 143) and refuses to continue when the server does not offer it.
	SecurityStartTLS Security = "starttls"
	// SecurityInsecure sends everything, the password included, in clear
	// text. New accepts it only with AllowInsecure and a loopback host.
	SecurityInsecure Security = "insecure"
)

// InitialMode says what the first sync of a folder imports.
type InitialMode string

// Initial sync modes.
const (
	// InitialNone records where the folder stands and imports nothing, so
	// only mail that arrives after the account was added is held. Default.
	InitialNone InitialMode = "none"
	// InitialNewest imports the newest InitialSync.Newest messages.
	InitialNewest InitialMode = "newest"
	// InitialSince imports the messages received since InitialSync.Since.
	InitialSince InitialMode = "since"
	// InitialAll imports every message in the folder.
	InitialAll InitialMode = "all"
)

// InitialSync configures the first sync of a folder that has no cursor yet.
type InitialSync struct {
	Mode   InitialMode // "" means InitialNone
	Newest int         // for InitialNewest: how many
	Since  time.Time   // for InitialSince: only the date counts (IMAP SEARCH SINCE)
}

// Options configure one IMAP account. Account, Host, Username and Password
// (Token for AuthOAuth2) are required; everything else has a default.
type Options struct {
	Account string // the account's name in Sluice; items and cursors carry it

	Host     string
	Port     int      // default 993 for SecurityTLS, 143 otherwise
	Security Security // default SecurityTLS (SecurityStartTLS when Port is 143)
	// AllowInsecure permits SecurityInsecure, and only to a loopback host.
	AllowInsecure bool

	Username string
	// Password returns the password when a connection logs in (the app reads
	// it from the keyring or a password_command). It is asked once per Run,
	// again after an authentication failure and Wake, and never logged. An
	// error from it (a locked keyring) is retried with backoff like a network
	// error, and logged once per failure streak, not per retry.
	Password func(ctx context.Context) (string, error)

	// Auth is how the connector logs in: AuthPassword (the default) or
	// AuthOAuth2, which needs Token instead of Password.
	Auth Auth
	// Token returns a current OAuth2 access token. It is asked at every
	// login (it keeps the token in memory and refreshes it before it
	// expires) and never logged. An error wrapping model.ErrSignInNeeded
	// stops the account as HealthSignInNeeded until Wake; any other error
	// is retried with backoff like a network error.
	Token func(ctx context.Context) (string, error)
	// Refresh is called when the server refused the token it returned: it
	// gets a new one from the provider (or says model.ErrSignInNeeded). The
	// login is tried once more with it; a second refusal means the user
	// must sign in again, and nothing is retried until Wake.
	Refresh func(ctx context.Context, rejected string) (string, error)
	// Mechanism is the SASL mechanism for AuthOAuth2: "" for OAUTHBEARER
	// where the server offers it and XOAUTH2 otherwise, or MechXOAUTH2 or
	// MechOAuthBearer to insist on one.
	Mechanism string

	// Folders to watch; default ["INBOX"].
	Folders []string
	// CAFile is a PEM file of extra certificate authorities to trust besides
	// the system's (a self-hosted server's own CA). Certificates are always
	// verified.
	CAFile string

	// Initial configures the first sync of each folder.
	Initial InitialSync

	// WatchSent watches the Sent folder for the user's replies (see
	// sent.go): SentFolder names it, or, when empty, the folder the server
	// flags \Sent (RFC 6154) is used.
	WatchSent  bool
	SentFolder string

	// PollInterval is how often a folder is checked when IDLE is not used;
	// default 2 minutes, jittered by ±10% so accounts do not poll in step.
	PollInterval time.Duration
	// DisableIdle polls even when the server offers IDLE (for servers whose
	// IDLE is broken, and for tests).
	DisableIdle bool
	// IdleRefresh is how long one IDLE command may last before it is
	// re-issued; default 25 minutes, at most 29 (servers may drop a client
	// idle for 30).
	IdleRefresh time.Duration

	// LinkTemplate makes an item's deep link into the user's mail client.
	// Placeholders: {message_id} (without angle brackets), {message_id_q}
	// (query-escaped), {message_id_p} (path-escaped), {folder}, {folder_q},
	// {uid}, {uidvalidity}. Default "mid:{message_id_p}" (RFC 2392). A message
	// without Message-ID gets an imap:// URL (RFC 5092) instead.
	LinkTemplate string

	// Hold holds mail on the server while the gate holds (see HoldOptions);
	// off unless Hold.Enabled.
	Hold HoldOptions

	// Logger receives connection events; nil discards them. Passwords and
	// message contents are never logged.
	Logger *slog.Logger

	// Tuning knobs; the defaults suit real servers, tests shorten them.

	// DialTimeout bounds connecting and the TLS handshake; default 30s.
	DialTimeout time.Duration
	// CommandTimeout is the watchdog: a command (or a FETCH that stops
	// streaming) without an answer for this long closes the connection, since
	// the IMAP client itself would wait forever; default 90s.
	CommandTimeout time.Duration
	// BackoffBase is the first reconnect delay, doubled per failure up to
	// BackoffCap (default 2s and 5 minutes), jittered by ±20%.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// FetchBatch is how many messages one FETCH and one Ingest carry; default 250.
	FetchBatch int
	// SnippetBytes is how much of a text part is fetched for the snippet;
	// default 2048 (4× that for HTML, which is mostly markup).
	SnippetBytes int
	// Clock tells the time (health, cursors) and runs the timers of
	// backoff, polling, IDLE refresh and the command watchdog; nil means
	// the real clock. Tests pass a fake one to drive them.
	Clock clock.Clock
}

// Errors callers test for.
var (
	// ErrAuth is wrapped by every login failure (wrong password, disabled
	// account, login refused without TLS): retrying does not help until the
	// user acts.
	ErrAuth = errors.New("authentication failed")
	// ErrFolderNotFound is wrapped when a watched folder does not exist.
	ErrFolderNotFound = errors.New("folder not found")
	// ErrInsecure is returned by New for plaintext IMAP to a host that is not
	// loopback or without AllowInsecure.
	ErrInsecure = errors.New("plaintext IMAP is allowed only to a loopback host with allow_insecure")
	// ErrOptions is wrapped by every other validation error of New.
	ErrOptions = errors.New("invalid imap options")
)

// Defaults for Options.
const (
	DefaultPollInterval   = 2 * time.Minute
	DefaultIdleRefresh    = 25 * time.Minute
	MaxIdleRefresh        = 29 * time.Minute
	DefaultLinkTemplate   = "mid:{message_id_p}"
	DefaultDialTimeout    = 30 * time.Second
	DefaultCommandTimeout = 90 * time.Second
	DefaultBackoffBase    = 2 * time.Second
	DefaultBackoffCap     = 5 * time.Minute
	DefaultFetchBatch     = 250
	DefaultSnippetBytes   = 2048
)

// Connector watches the folders of one IMAP account. It implements
// model.Connector and model.Waker.
type Connector struct {
	opt  Options
	clk  clock.Clock
	tls  *tls.Config
	addr string
	log  *slog.Logger

	mu      sync.Mutex
	wakers  map[chan struct{}]struct{} // one per running folder watcher
	authGen int                        // bumped by Wake: lets a failed login be retried

	hold *holder // nil unless Options.Hold.Enabled
}

var (
	_ model.Connector = (*Connector)(nil)
	_ model.Waker     = (*Connector)(nil)
)

// New validates the options, fills in defaults and returns a connector. It
// does no I/O other than reading CAFile.
func New(opt Options) (*Connector, error) {
	opt.Account = strings.TrimSpace(opt.Account)
	opt.Host = strings.TrimSpace(opt.Host)
	for _, step := range []func(*Options) error{checkAccount, checkSecurity, checkFolders, checkInitial, checkTiming, checkHoldOption} {
		if err := step(&opt); err != nil {
			return nil, err
		}
	}
	tc, err := tlsConfig(opt)
	if err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Connector{
		opt:    opt,
		clk:    opt.Clock,
		tls:    tc,
		addr:   net.JoinHostPort(opt.Host, fmt.Sprint(opt.Port)),
		log:    log.With("component", "imap", "account", opt.Account),
		wakers: map[chan struct{}]struct{}{},
	}
	if opt.Hold.Enabled {
		c.hold = newHolder(c)
	}
	return c, nil
}

// checkHoldOption checks the hold-on-server options (see checkHold).
func checkHoldOption(opt *Options) error {
	if err := checkHold(opt); err != nil {
		return badOption("%v", err)
	}
	return nil
}

// badOption is an ErrOptions error.
func badOption(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, args...))
}

// checkAccount checks what names the account and how it logs in.
func checkAccount(opt *Options) error {
	switch {
	case opt.Account == "":
		return badOption("account name is required")
	case opt.Host == "":
		return badOption("host is required")
	case opt.Username == "":
		return badOption("username is required")
	case opt.Port < 0 || opt.Port > 65535:
		return badOption("port %d out of range", opt.Port)
	}
	if err := validateAuth(opt); err != nil {
		return badOption("%v", err)
	}
	return nil
}

// checkSecurity fills in the security mode and the port that goes with
// it, and allows plaintext only to a loopback host that allows it.
func checkSecurity(opt *Options) error {
	if opt.Security == "" {
		opt.Security = SecurityTLS
		if opt.Port == 143 {
			opt.Security = SecurityStartTLS
		}
	}
	switch opt.Security {
	case SecurityTLS:
		if opt.Port == 0 {
			opt.Port = 993
		}
	case SecurityStartTLS, SecurityInsecure:
		if opt.Port == 0 {
			opt.Port = 143
		}
	default:
		return badOption("security %q: want tls, starttls or insecure", opt.Security)
	}
	if opt.Security == SecurityInsecure && (!opt.AllowInsecure || !isLoopback(opt.Host)) {
		return fmt.Errorf("%w (host %q)", ErrInsecure, opt.Host)
	}
	return nil
}

// checkFolders trims the folder names, spells INBOX one way, drops
// repeats and watches INBOX when none is named.
func checkFolders(opt *Options) error {
	var folders []string
	seen := map[string]bool{}
	for _, f := range opt.Folders {
		f = strings.TrimSpace(f)
		if strings.EqualFold(f, "INBOX") {
			f = "INBOX"
		}
		if f == "" {
			return badOption("folders: empty folder name")
		}
		if !seen[f] {
			seen[f] = true
			folders = append(folders, f)
		}
	}
	if len(folders) == 0 {
		folders = []string{"INBOX"}
	}
	opt.Folders = folders
	return nil
}

// checkInitial checks what the first sync imports.
func checkInitial(opt *Options) error {
	switch opt.Initial.Mode {
	case "":
		opt.Initial.Mode = InitialNone
	case InitialNone, InitialAll:
	case InitialNewest:
		if opt.Initial.Newest <= 0 {
			return badOption("initial sync newest: count must be positive")
		}
	case InitialSince:
		if opt.Initial.Since.IsZero() {
			return badOption("initial sync since: date is required")
		}
	default:
		return badOption("initial sync mode %q: want none, newest, since or all", opt.Initial.Mode)
	}
	return nil
}

// checkTiming fills in the intervals, timeouts, sizes, the link template
// and the clock, and checks those a user sets.
func checkTiming(opt *Options) error {
	if opt.PollInterval == 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.IdleRefresh == 0 {
		opt.IdleRefresh = DefaultIdleRefresh
	}
	switch {
	case opt.PollInterval < 0:
		return badOption("poll interval must be positive")
	case opt.IdleRefresh < 0 || opt.IdleRefresh > MaxIdleRefresh:
		return badOption("idle refresh %v: want at most %v", opt.IdleRefresh, MaxIdleRefresh)
	}
	if opt.LinkTemplate == "" {
		opt.LinkTemplate = DefaultLinkTemplate
	}
	if err := checkTemplate(opt.LinkTemplate); err != nil {
		return badOption("link template: %v", err)
	}
	setDefault(&opt.DialTimeout, DefaultDialTimeout)
	setDefault(&opt.CommandTimeout, DefaultCommandTimeout)
	setDefault(&opt.BackoffBase, DefaultBackoffBase)
	setDefault(&opt.BackoffCap, DefaultBackoffCap)
	if opt.BackoffCap < opt.BackoffBase {
		opt.BackoffCap = opt.BackoffBase
	}
	if opt.FetchBatch <= 0 {
		opt.FetchBatch = DefaultFetchBatch
	}
	if opt.SnippetBytes <= 0 {
		opt.SnippetBytes = DefaultSnippetBytes
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	return nil
}

// tlsConfig verifies the server's certificate against the system's
// authorities and those in CAFile.
func tlsConfig(opt Options) (*tls.Config, error) {
	tc := &tls.Config{ServerName: opt.Host, MinVersion: tls.VersionTLS12}
	if opt.CAFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(opt.CAFile)
	if err != nil {
		return nil, badOption("ca file: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, badOption("ca file %s: no PEM certificate in it", opt.CAFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Kind implements model.Connector.
func (c *Connector) Kind() model.Kind { return model.KindIMAP }

// Account implements model.Connector.
func (c *Connector) Account() string { return c.opt.Account }

// Options returns the options with their defaults filled in.
func (c *Connector) Options() Options { return c.opt }

// Wake makes every folder check its connection at once (after the machine
// resumed from sleep, or after the user fixed the password): an idle
// connection is tested with NOOP, a pending reconnect happens now, and a
// connector stopped by an authentication failure tries to log in again.
func (c *Connector) Wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.authGen++
	for ch := range c.wakers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (c *Connector) addWaker() chan struct{} {
	ch := make(chan struct{}, 1)
	c.mu.Lock()
	c.wakers[ch] = struct{}{}
	c.mu.Unlock()
	return ch
}

func (c *Connector) removeWaker(ch chan struct{}) {
	c.mu.Lock()
	delete(c.wakers, ch)
	c.mu.Unlock()
}

func (c *Connector) authGeneration() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authGen
}

// Preset fills in a well-known provider's server settings.
type Preset struct {
	Name         string
	Host         string
	Port         int
	Security     Security
	Hint         string // how to get a password the provider accepts for IMAP
	LinkTemplate string // deep link into the provider's web mail; "" for the default
	// OAuth names the provider whose sign-in (OAuth2) this server takes:
	// "google" or "microsoft"; "" for servers that take passwords only. New
	// accounts with such a preset sign in that way by default.
	OAuth string
	// Domains are the address domains whose mail the provider serves, so
	// that an address picks its preset; an entry ending in "." matches
	// every domain it begins ("yahoo." is yahoo.com, yahoo.co.uk, …).
	Domains []string
}

// Presets are the providers Sluice knows, by key ("gmail", "fastmail",
// "icloud", "yahoo", "outlook", "office365").
var Presets = map[string]Preset{
	"gmail": {
		Name: "Gmail", Host: "imap.gmail.com", Port: 993, Security: SecurityTLS,
		Hint:         "Signs in with Google in your browser. Alternatively use an app password (Google Account → Security → 2-Step Verification → App passwords); your normal password is refused.",
		LinkTemplate: "https://mail.google.com/mail/u/0/#search/rfc822msgid%3A{message_id_q}",
		OAuth:        "google",
		Domains:      []string{"gmail.com", "googlemail.com"},
	},
	"fastmail": {
		Name: "Fastmail", Host: "imap.fastmail.com", Port: 993, Security: SecurityTLS,
		Hint:         "Create an app password with IMAP access (Settings → Privacy & Security → Manage app passwords and access).",
		LinkTemplate: "https://app.fastmail.com/mail/search:msgid%3A{message_id_q}",
		Domains:      []string{"fastmail.com", "fastmail.fm"},
	},
	"icloud": {
		Name: "iCloud Mail", Host: "imap.mail.me.com", Port: 993, Security: SecurityTLS,
		Hint:    "Generate an app-specific password at account.apple.com (Sign-In and Security → App-Specific Passwords); the username is your iCloud Mail address.",
		Domains: []string{"icloud.com", "me.com", "mac.com"},
	},
	"yahoo": {
		Name: "Yahoo Mail", Host: "imap.mail.yahoo.com", Port: 993, Security: SecurityTLS,
		Hint:    "Generate an app password (Account Info → Account Security → Generate app password).",
		Domains: []string{"yahoo.", "ymail.com"},
	},
	"outlook": {
		Name: "Outlook.com", Host: "outlook.office365.com", Port: 993, Security: SecurityTLS,
		Hint:    "Signs in with Microsoft in your browser: Microsoft no longer accepts passwords for IMAP.",
		OAuth:   "microsoft",
		Domains: []string{"outlook.com", "hotmail.com", "live.com"},
	},
	"office365": {
		Name: "Microsoft 365 (work or school)", Host: "outlook.office365.com", Port: 993, Security: SecurityTLS,
		Hint:  "Signs in with Microsoft in your browser: Microsoft no longer accepts passwords for IMAP. Your organisation may have to allow the app first (see packaging/OAUTH.md).",
		OAuth: "microsoft",
	},
}
