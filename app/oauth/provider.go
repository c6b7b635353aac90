// Package oauth signs Sluice in to mail providers that want OAuth2 instead
// of a password (Google, Microsoft, and any OpenID Connect issuer a
// self-hosted server trusts), and keeps the access tokens coming.
//
// Signing in is the authorization-code flow with PKCE (S256) and a state
// check: the system browser opens the provider's page, and the provider
// sends the browser back to a listener on http://127.0.0.1:<ephemeral
// port> that only this sign-in knows. Where no browser can reach this
// computer, Microsoft and most OIDC issuers offer the device-code flow
// (a code to type in on any device); Google does not allow it for Gmail.
// golang.org/x/oauth2 does the protocol.
//
// The refresh token lives only in the OS keyring (app/secrets); access
// tokens live only in memory, in a Source, which refreshes them before they
// expire and saves a rotated refresh token at once. A refresh token the
// provider refuses makes every later request fail with
// model.ErrSignInNeeded, without asking the provider again, until the user
// signs in anew.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// Provider names.
const (
	Google    = "google"
	Microsoft = "microsoft"
	OIDC      = "oidc"
)

// Providers lists the provider names Settings.Provider takes.
func Providers() []string { return []string{Google, Microsoft, OIDC} }

// Client IDs built into this build, used when an account sets none. Set
// them at build time, e.g.
//
//	go build -ldflags "-X github.com/sluice-app/sluice/app/oauth.MicrosoftClientID=…"
//
// packaging/OAUTH.md says how to register them. Google's "client secret"
// of a desktop app is not confidential (RFC 8252 section 8.5): Google
// requires it in token requests but expects it to ship in the program.
var (
	GoogleClientID     string
	GoogleClientSecret string
	MicrosoftClientID  string
)

// Settings are one account's sign-in settings, as the config holds them.
type Settings struct {
	Account      string   // the account's name in Sluice (keyring entry, messages)
	Provider     string   // Google, Microsoft or OIDC
	Tenant       string   // Microsoft: "common" (default), "organizations", "consumers", or a tenant ID or domain
	Issuer       string   // OIDC: the issuer URL; its discovery document says the rest
	ClientID     string   // "" for the build's default
	ClientSecret string   // where the provider wants one (Google desktop apps)
	Scopes       []string // nil for the provider's IMAP scopes
	Username     string   // suggested to the provider's sign-in page (login_hint)
}

// Scopes that give IMAP access.
var (
	GoogleScopes    = []string{"https://mail.google.com/"}
	MicrosoftScopes = []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"}
)

// Errors callers test for.
var (
	// ErrNoClientID means neither the account nor the build has a client ID.
	ErrNoClientID = errors.New("no OAuth client ID")
	// ErrSettings is wrapped by every other invalid-settings error.
	ErrSettings = errors.New("invalid sign-in settings")
	// ErrDeviceUnsupported means the provider has no device-code flow for
	// these scopes.
	ErrDeviceUnsupported = errors.New("device-code sign-in is not available")
)

// Client is a provider resolved for one account: endpoints (after OIDC
// discovery), client ID, scopes and the parameters its sign-in page wants.
type Client struct {
	s            Settings
	conf         *oauth2.Config
	authParams   []oauth2.AuthCodeOption
	redirectHost string // what the redirect URI names: 127.0.0.1, or localhost for Microsoft
	noDevice     string // why the device flow is not offered, or ""
	http         *http.Client
	title        string // "Google", "Microsoft", the issuer's host
}

// DefaultHTTPClient is used for the provider when NewClient gets none.
var DefaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// NewClient resolves s. For an OIDC issuer it fetches the discovery
// document (only over HTTPS, except from a loopback host).
func NewClient(ctx context.Context, s Settings, hc *http.Client) (*Client, error) {
	if hc == nil {
		hc = DefaultHTTPClient
	}
	s.Provider = strings.ToLower(strings.TrimSpace(s.Provider))
	c := &Client{s: s, http: hc, redirectHost: "127.0.0.1"}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrSettings, fmt.Sprintf(format, args...))
	}
	conf := &oauth2.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: s.Scopes}
	switch s.Provider {
	case Google:
		c.title = "Google"
		conf.Endpoint = endpoints.Google
		if conf.ClientID == "" {
			conf.ClientID, conf.ClientSecret = GoogleClientID, GoogleClientSecret
		}
		if conf.Scopes == nil {
			conf.Scopes = GoogleScopes
		}
		// A refresh token every time, even when the user granted access
		// before (Google sends one only with consent).
		c.authParams = append(c.authParams, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"))
		c.noDevice = "Google does not allow Gmail access (the https://mail.google.com/ scope) with the device-code flow; sign in in a browser on this computer, or use an app password"
	case Microsoft:
		c.title = "Microsoft"
		tenant := s.Tenant
		if tenant == "" {
			tenant = "common"
		}
		if strings.ContainsAny(tenant, "/?#@ ") {
			return nil, bad("tenant %q: want common, organizations, consumers, a tenant ID or a domain", tenant)
		}
		conf.Endpoint = endpoints.AzureAD(tenant)
		if conf.ClientID == "" {
			conf.ClientID = MicrosoftClientID
		}
		if conf.Scopes == nil {
			conf.Scopes = MicrosoftScopes
		}
		// Entra ID matches a desktop app's "http://localhost" redirect on
		// any port, but not 127.0.0.1 unless registered by hand.
		c.redirectHost = "localhost"
	case OIDC:
		if err := c.discover(ctx, conf); err != nil {
			return nil, err
		}
	default:
		return nil, bad("provider %q: want %s", s.Provider, strings.Join(Providers(), ", "))
	}
	if conf.ClientID == "" {
		return nil, fmt.Errorf("%w for %s: this build has none built in; register one (packaging/OAUTH.md) and set it as the account's oauth_client_id", ErrNoClientID, c.title)
	}
	if conf.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		// Native apps are public clients: the client ID (and Google's
		// public secret) go in the request body.
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	if s.Username != "" {
		c.authParams = append(c.authParams, oauth2.SetAuthURLParam("login_hint", s.Username))
	}
	c.conf = conf
	return c, nil
}

// Title names the provider for people: "Google", "Microsoft", or the
// issuer's host.
func (c *Client) Title() string { return c.title }

// discovery is the part of an OpenID Provider's metadata Sluice uses.
type discovery struct {
	Issuer            string   `json:"issuer"`
	AuthURL           string   `json:"authorization_endpoint"`
	TokenURL          string   `json:"token_endpoint"`
	DeviceURL         string   `json:"device_authorization_endpoint"`
	Scopes            []string `json:"scopes_supported"`
	TokenAuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
	ChallengeMethods  []string `json:"code_challenge_methods_supported"`
	GrantTypesAllowed []string `json:"grant_types_supported"`
}

// discover reads the issuer's /.well-known/openid-configuration.
func (c *Client) discover(ctx context.Context, conf *oauth2.Config) error {
	issuer := strings.TrimRight(strings.TrimSpace(c.s.Issuer), "/")
	u, err := url.Parse(issuer)
	if issuer == "" || err != nil || u.Host == "" {
		return fmt.Errorf("%w: issuer %q: want the issuer's URL, e.g. https://id.example.com/realms/mail", ErrSettings, c.s.Issuer)
	}
	if err := secureURL(u); err != nil {
		return fmt.Errorf("%w: issuer: %v", ErrSettings, err)
	}
	c.title = u.Hostname()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("read the sign-in settings of %s: %w", c.title, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the sign-in settings of %s: %w", c.title, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read the sign-in settings of %s: %s (is %s the issuer's URL?)", c.title, resp.Status, issuer)
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return fmt.Errorf("read the sign-in settings of %s: not an OpenID Connect discovery document: %w", c.title, err)
	}
	if strings.TrimRight(d.Issuer, "/") != issuer {
		return fmt.Errorf("%w: %s says its issuer is %q, not %q", ErrSettings, c.title, d.Issuer, issuer)
	}
	for name, raw := range map[string]string{"authorization_endpoint": d.AuthURL, "token_endpoint": d.TokenURL} {
		eu, err := url.Parse(raw)
		if raw == "" || err != nil || eu.Host == "" {
			return fmt.Errorf("%s: discovery document has no usable %s", c.title, name)
		}
		if err := secureURL(eu); err != nil {
			return fmt.Errorf("%s: %s: %v", c.title, name, err)
		}
	}
	if len(d.ChallengeMethods) > 0 && !slices.Contains(d.ChallengeMethods, "S256") {
		return fmt.Errorf("%s does not support PKCE with S256, which Sluice requires", c.title)
	}
	conf.Endpoint = oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, DeviceAuthURL: d.DeviceURL}
	if len(d.TokenAuthMethods) > 0 && c.s.ClientSecret != "" &&
		!slices.Contains(d.TokenAuthMethods, "client_secret_post") && slices.Contains(d.TokenAuthMethods, "client_secret_basic") {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	if conf.Scopes == nil {
		conf.Scopes = []string{"openid", "email"}
		if slices.Contains(d.Scopes, "offline_access") {
			conf.Scopes = append(conf.Scopes, "offline_access")
		}
	}
	if d.DeviceURL == "" {
		c.noDevice = c.title + " offers no device-code flow"
	}
	return nil
}

// secureURL refuses plain HTTP except to this computer.
func secureURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
		return fmt.Errorf("%s: plain http is allowed only to this computer; use https", u.Redacted())
	}
	return fmt.Errorf("%s: want an https URL", u.Redacted())
}

// ctx carries the client's HTTP client to golang.org/x/oauth2.
func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}
