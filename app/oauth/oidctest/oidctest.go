// Package oidctest runs a real OpenID Connect provider inside a test
// (github.com/oauth2-proxy/mockoidc on 127.0.0.1): authorization code with
// PKCE, refresh tokens, userinfo and discovery. It logs every user in
// without asking, so a plain HTTP client can stand in for the browser.
//
// On top of mockoidc it behaves like the providers Sluice meets: expires_in
// is in seconds (mockoidc writes nanoseconds), refresh tokens can be
// revoked and can rotate, and it counts what it was asked, so tests can
// tell how often a token was refreshed and how many logins an IMAP server
// checked against it (Dovecot asks userinfo once per AUTHENTICATE).
package oidctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
)

// User is someone the provider can sign in.
type User struct {
	Email   string // the claim IMAP servers match against the login name
	Subject string // default: Email
}

// Options tune a provider.
type Options struct {
	// AccessTTL is how long access tokens live; default 10 minutes.
	AccessTTL time.Duration
	// Rotate makes every refresh return a new refresh token and revoke the
	// one it was given, as strict providers do.
	Rotate bool
}

// Provider is a running test provider.
type Provider struct {
	m   *mockoidc.MockOIDC
	ttl time.Duration

	// Issuer is the issuer URL (discovery at Issuer + "/.well-known/openid-configuration").
	Issuer string
	// ClientID and ClientSecret are the only client it knows.
	ClientID, ClientSecret string

	mu        sync.Mutex // serialises mockoidc, whose session map is not safe for concurrent use
	rotate    bool
	revoked   map[string]bool
	userinfo  int
	refreshes int
	codes     int
	next      []User
	issued    []string
}

// Scopes are the scopes to ask this provider for.
var Scopes = []string{"openid", "email"}

// New starts a provider on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opt Options) *Provider {
	t.Helper()
	p, err := Start(opt)
	if err != nil {
		t.Fatalf("start the OIDC provider: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Start starts a provider; Close stops it.
func Start(opt Options) (*Provider, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, err
	}
	if opt.AccessTTL > 0 {
		m.AccessTTL = opt.AccessTTL
	}
	p := &Provider{m: m, ttl: m.AccessTTL, rotate: opt.Rotate, revoked: map[string]bool{},
		ClientID: m.ClientID, ClientSecret: m.ClientSecret}
	if err := m.AddMiddleware(p.middleware); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := m.Start(ln, nil); err != nil {
		return nil, err
	}
	p.Issuer = m.Issuer()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.m.Server.Shutdown(ctx)
}

// UserinfoURL is the userinfo endpoint, which an IMAP server uses to check tokens.
func (p *Provider) UserinfoURL() string { return p.m.UserinfoEndpoint() }

// TokenURL is the token endpoint.
func (p *Provider) TokenURL() string { return p.m.TokenEndpoint() }

// SignInAs makes the next sign-in (the next visit of the authorization
// endpoint) sign in u.
func (p *Provider) SignInAs(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = append(p.next, u)
}

// Expire moves the provider's clock past the access tokens' lifetime:
// every access token issued so far is refused, refresh tokens still work.
func (p *Provider) Expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m.FastForward(p.ttl + time.Minute)
}

// Revoke makes the provider refuse a refresh token (invalid_grant), as
// when the user revoked Sluice's access or an administrator did.
func (p *Provider) Revoke(refreshToken string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked[refreshToken] = true
}

// Userinfo counts the requests the userinfo endpoint answered or refused.
func (p *Provider) Userinfo() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.userinfo
}

// Refreshes counts refresh-token grants asked for (granted or not).
func (p *Provider) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// CodeExchanges counts authorization codes exchanged for tokens.
func (p *Provider) CodeExchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.codes
}

// Issued lists every token the provider handed out (access, refresh and
// ID tokens), for tests that check no token was written anywhere.
func (p *Provider) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// middleware serialises every request and adds what mockoidc lacks.
func (p *Provider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch r.URL.Path {
		case mockoidc.UserinfoEndpoint:
			p.userinfo++
		case mockoidc.AuthorizationEndpoint:
			if len(p.next) > 0 {
				u := p.next[0]
				p.next = p.next[1:]
				p.m.QueueUser(mockUser(u))
			}
		case mockoidc.TokenEndpoint:
			p.token(next, w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func mockUser(u User) *mockoidc.MockUser {
	sub := u.Subject
	if sub == "" {
		sub = u.Email
	}
	return &mockoidc.MockUser{Subject: sub, Email: u.Email, EmailVerified: true, PreferredUsername: u.Email}
}

// token handles the token endpoint: revoked refresh tokens are refused,
// expires_in is rewritten in seconds, and with Rotate a refresh returns a
// new refresh token and revokes the old one.
func (p *Provider) token(next http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	grant, old := form.Get("grant_type"), form.Get("refresh_token")
	switch grant {
	case "refresh_token":
		p.refreshes++
		if p.revoked[old] {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"The refresh token was revoked."}`)
			return
		}
	case "authorization_code":
		p.codes++
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var tr map[string]any
		if json.Unmarshal(out, &tr) == nil {
			defer func() {
				for _, k := range []string{"access_token", "refresh_token", "id_token"} {
					if v, ok := tr[k].(string); ok && v != "" {
						p.issued = append(p.issued, v)
					}
				}
			}()
			tr["expires_in"] = int64(p.ttl / time.Second)
			if grant == "refresh_token" && p.rotate {
				if rt, err := p.rotated(old); err == nil {
					tr["refresh_token"] = rt
					p.revoked[old] = true
				}
			}
			out, _ = json.Marshal(tr)
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(rec.Code)
	w.Write(out)
}

// rotated mints a new refresh token for the session old belongs to.
func (p *Provider) rotated(old string) (string, error) {
	tok, err := p.m.Keypair.VerifyJWT(old, p.m.Now)
	if err != nil {
		return "", err
	}
	claims, ok := tok.Claims.(jwt.MapClaims)
	if !ok {
		return "", errors.New("refresh token without claims")
	}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	fresh := jwt.MapClaims{}
	for k, v := range claims {
		fresh[k] = v
	}
	now := p.m.Now()
	fresh["iat"] = now.Unix()
	fresh["nbf"] = now.Unix()
	fresh["exp"] = now.Add(p.m.RefreshTTL).Unix()
	fresh["rot"] = hex.EncodeToString(nonce)
	return p.m.Keypair.SignJWT(fresh)
}

// Config is an oauth2 client of this provider with redirect.
func (p *Provider) Config(redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: redirect, Scopes: Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.m.AuthorizationEndpoint(), TokenURL: p.m.TokenEndpoint(), AuthStyle: oauth2.AuthStyleInParams},
	}
}

// Token signs u in without any listener: it visits the authorization
// endpoint, reads the code from the redirect it answers with, and
// exchanges it (with PKCE). Tests of the IMAP connector use it to get
// tokens without the app's sign-in flow.
func (p *Provider) Token(t testing.TB, u User) *oauth2.Token {
	t.Helper()
	p.SignInAs(u)
	conf := p.Config("http://127.0.0.1:1/callback")
	verifier := oauth2.GenerateVerifier()
	loc, err := Visit(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), nil, false)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("authorize redirected to %s", loc.Redacted())
	}
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// Visit is the browser: it opens an authorization URL and, when follow is
// set, follows the provider's redirect to wherever it points (the
// sign-in flow's loopback listener), after letting edit change it (a
// forged or stale redirect). It returns the redirect's URL.
func Visit(authURL string, edit func(*url.URL), follow bool) (*url.URL, error) {
	var loc *url.URL
	c := &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) == 1 {
				if edit != nil {
					edit(req.URL)
				}
				u := *req.URL
				loc = &u
			}
			if !follow {
				return http.ErrUseLastResponse
			}
			if len(via) > 3 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	resp, err := c.Get(authURL)
	if err != nil {
		return loc, err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if loc == nil {
		return nil, fmt.Errorf("the provider did not redirect: %s: %s", resp.Status, strings.TrimSpace(string(page)))
	}
	if follow && resp.StatusCode != http.StatusOK {
		return loc, fmt.Errorf("the redirect target answered %s: %s", resp.Status, strings.TrimSpace(string(page)))
	}
	return loc, nil
}
