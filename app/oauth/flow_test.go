package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
)

func TestMain(m *testing.M) {
	secrets.MockForTests()
	os.Exit(m.Run())
}

var alice = oidctest.User{Email: "alice@example.com"}

// settings are an OIDC account at p.
func settings(p *oidctest.Provider, account string) Settings {
	return Settings{Account: account, Provider: OIDC, Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, Username: alice.Email}
}

func newClient(t *testing.T, s Settings) *Client {
	t.Helper()
	c, err := NewClient(context.Background(), s, nil)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// browse is the browser: it follows the sign-in URL through the provider
// to the loopback listener, in the background, and reports how it went.
func browse(edit func(*url.URL)) (func(Prompt), <-chan error) {
	done := make(chan error, 1)
	return func(p Prompt) {
		go func() {
			_, err := oidctest.Visit(p.URL, edit, true)
			done <- err
		}()
	}, done
}

// TestLoginBrowser signs in through the real provider: PKCE S256, the
// state, the loopback redirect on 127.0.0.1, the code exchanged once.
func TestLoginBrowser(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	p.SignInAs(alice)
	c := newClient(t, settings(p, "work"))
	var shown Prompt
	prompt, browsed := browse(nil)
	tok, err := c.Login(context.Background(), LoginOptions{Prompt: func(pr Prompt) { shown = pr; prompt(pr) }})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := <-browsed; err != nil {
		t.Errorf("the browser saw: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token without access or refresh token: %+v", tok.Type())
	}
	u, err := url.Parse(shown.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	for k, want := range map[string]string{"code_challenge_method": "S256", "response_type": "code", "client_id": p.ClientID, "login_hint": alice.Email, "scope": "openid email"} {
		if q.Get(k) != want {
			t.Errorf("sign-in URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if q.Get("code_challenge") == "" || len(q.Get("state")) < 40 {
		t.Errorf("sign-in URL lacks a challenge or a strong state: %v", q)
	}
	if redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Scheme != "http" {
		t.Errorf("redirect URI %q, want http://127.0.0.1:<port>", redirect)
	}
	if strings.Contains(shown.URL, "client_secret") {
		t.Error("the client secret is in the browser's URL")
	}
	if p.CodeExchanges() != 1 {
		t.Errorf("%d code exchanges, want 1", p.CodeExchanges())
	}
	// The listener is gone once the sign-in is over.
	if _, err := http.Get("http://" + redirect.Host + "/"); err == nil {
		t.Error("the loopback listener still answers after the sign-in")
	}
}

// TestLoginWrongState: an answer with another state is refused and its
// code never exchanged; the browser is told so.
func TestLoginWrongState(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newClient(t, settings(p, "work"))
	prompt, browsed := browse(func(u *url.URL) {
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
	})
	_, err := c.Login(context.Background(), LoginOptions{Prompt: prompt})
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "nothing was accepted") {
		t.Fatalf("Login: %v, want ErrState", err)
	}
	if berr := <-browsed; berr == nil || !strings.Contains(berr.Error(), "400") {
		t.Errorf("the browser saw %v, want a 400 page", berr)
	}
	if p.CodeExchanges() != 0 {
		t.Errorf("the code of a forged answer was exchanged")
	}
}

// TestLoginDenied: the provider sends the browser back with an error.
func TestLoginDenied(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newClient(t, settings(p, "work"))
	prompt, browsed := browse(func(u *url.URL) {
		q := u.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		q.Set("error_description", "The user said <no>.")
		u.RawQuery = q.Encode()
	})
	_, err := c.Login(context.Background(), LoginOptions{Prompt: prompt})
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), `"access_denied": The user said <no>.`) {
		t.Fatalf("Login: %v", err)
	}
	<-browsed
}

// TestLoginTimeout: a redirect that never comes ends the sign-in at the
// deadline, on the injected clock, and says so.
func TestLoginTimeout(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newClient(t, settings(p, "work"))
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	var redirect string
	errc := make(chan error, 1)
	go func() {
		_, err := c.Login(context.Background(), LoginOptions{Clock: clk, Timeout: 2 * time.Minute, Prompt: func(pr Prompt) {
			u, _ := url.Parse(pr.URL)
			redirect = u.Query().Get("redirect_uri")
			if !pr.Expires.Equal(clk.Now().Add(2 * time.Minute)) {
				t.Errorf("prompt expires %v", pr.Expires)
			}
		}})
		errc <- err
	}()
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	// A visit without an answer (the bare address) changes nothing.
	resp, err := http.Get(waitListening(t, &redirect) + "/")
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("bare visit: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case err := <-errc:
		t.Fatalf("Login ended early: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	clk.Advance(2 * time.Minute)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrTimeout) || err.Error() != "sign-in timed out: no answer within 2m0s; start the sign-in again" {
			t.Fatalf("Login: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Login did not end at the deadline")
	}
}

func waitListening(t *testing.T, redirect *string) string {
	t.Helper()
	for i := 0; i < 1000 && *redirect == ""; i++ {
		time.Sleep(time.Millisecond)
	}
	if *redirect == "" {
		t.Fatal("no prompt")
	}
	return *redirect
}

// TestLoginCancelled: the caller giving up ends the sign-in too.
func TestLoginCancelled(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newClient(t, settings(p, "work"))
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Login(ctx, LoginOptions{Prompt: func(Prompt) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Login: %v", err)
	}
}

func TestProviders(t *testing.T) {
	ctx := context.Background()
	old := [3]string{GoogleClientID, GoogleClientSecret, MicrosoftClientID}
	t.Cleanup(func() { GoogleClientID, GoogleClientSecret, MicrosoftClientID = old[0], old[1], old[2] })
	GoogleClientID, GoogleClientSecret, MicrosoftClientID = "", "", ""

	if _, err := NewClient(ctx, Settings{Provider: Google}, nil); !errors.Is(err, ErrNoClientID) || !strings.Contains(err.Error(), "packaging/OAUTH.md") {
		t.Errorf("Google without a client ID: %v", err)
	}
	GoogleClientID, GoogleClientSecret, MicrosoftClientID = "built-in-google", "public-secret", "built-in-ms"

	g, err := NewClient(ctx, Settings{Provider: "Google", Username: "me@gmail.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gu := authURL(t, g)
	for k, want := range map[string]string{"client_id": "built-in-google", "scope": "https://mail.google.com/", "access_type": "offline", "prompt": "consent", "login_hint": "me@gmail.com"} {
		if gu.Get(k) != want {
			t.Errorf("Google %s = %q, want %q", k, gu.Get(k), want)
		}
	}
	if g.conf.ClientSecret != "public-secret" {
		t.Error("Google's built-in secret not used")
	}
	if _, err := g.Login(ctx, LoginOptions{Device: true, Prompt: func(Prompt) { t.Error("prompted") }}); !errors.Is(err, ErrDeviceUnsupported) || !strings.Contains(err.Error(), "Google does not allow Gmail access") {
		t.Errorf("Google device flow: %v", err)
	}

	m, err := NewClient(ctx, Settings{Provider: Microsoft, Tenant: "corp.example", ClientID: "mine"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.conf.ClientID != "mine" || m.conf.Endpoint.TokenURL != "https://login.microsoftonline.com/corp.example/oauth2/v2.0/token" ||
		m.conf.Endpoint.DeviceAuthURL == "" || m.redirectHost != "localhost" {
		t.Errorf("Microsoft client: %+v %q", m.conf, m.redirectHost)
	}
	if got := authURL(t, m).Get("scope"); got != "https://outlook.office.com/IMAP.AccessAsUser.All offline_access" {
		t.Errorf("Microsoft scope %q", got)
	}
	if c, _ := NewClient(ctx, Settings{Provider: Microsoft}, nil); !strings.Contains(c.conf.Endpoint.AuthURL, "/common/") {
		t.Errorf("default tenant: %s", c.conf.Endpoint.AuthURL)
	}

	for _, bad := range []Settings{
		{Provider: "yahoo"},
		{Provider: Microsoft, Tenant: "a/b"},
		{Provider: OIDC},
		{Provider: OIDC, Issuer: "http://id.example.com"},
		{Provider: OIDC, Issuer: "ftp://id.example.com"},
	} {
		if _, err := NewClient(ctx, bad, nil); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: %v, want ErrSettings", bad, err)
		}
	}
}

func authURL(t *testing.T, c *Client) url.Values {
	t.Helper()
	u, err := url.Parse(c.conf.AuthCodeURL("s", c.authParams...))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestDiscovery reads an issuer's metadata and refuses one that names
// another issuer.
func TestDiscovery(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newClient(t, settings(p, "work"))
	if c.conf.Endpoint.TokenURL != p.TokenURL() || c.conf.Endpoint.AuthStyle == 0 {
		t.Errorf("endpoint %+v", c.conf.Endpoint)
	}
	if _, err := c.Login(context.Background(), LoginOptions{Device: true, Prompt: func(Prompt) {}}); !errors.Is(err, ErrDeviceUnsupported) {
		t.Errorf("device flow at an issuer without one: %v", err)
	}
	s := settings(p, "work")
	s.Issuer = strings.TrimSuffix(p.Issuer, "/oidc") + "/other"
	if _, err := NewClient(context.Background(), s, nil); err == nil || !strings.Contains(err.Error(), "404 Not Found (is ") {
		t.Errorf("wrong issuer: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":"https://elsewhere.example","authorization_endpoint":"https://elsewhere.example/a","token_endpoint":"https://elsewhere.example/t"}`)
	}))
	defer srv.Close()
	s.Issuer = srv.URL
	if _, err := NewClient(context.Background(), s, nil); !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), "says its issuer is") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

// TestLoginDevice runs the device-code flow against an RFC 8628 endpoint
// (the test provider has none): the code is shown, the token endpoint is
// polled until the user has entered it.
func TestLoginDevice(t *testing.T) {
	var polls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		r.ParseForm()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": srv.URL + "/token", "device_authorization_endpoint": srv.URL + "/device", "scopes_supported": []string{"openid", "email", "offline_access"}})
		case "/device":
			if r.Form.Get("client_id") != "cid" || r.Form.Get("scope") != "openid email offline_access" {
				http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, `{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://id.example/device","expires_in":600,"interval":1}`)
		case "/token":
			if r.Form.Get("device_code") != "dc" {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			if polls.Add(1) < 2 {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"authorization_pending"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"at","refresh_token":"rt","token_type":"Bearer","expires_in":3600}`)
		}
	}))
	defer srv.Close()
	c := newClient(t, Settings{Account: "work", Provider: OIDC, Issuer: srv.URL, ClientID: "cid"})
	var shown Prompt
	tok, err := c.Login(context.Background(), LoginOptions{Device: true, Prompt: func(p Prompt) { shown = p }})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if tok.RefreshToken != "rt" || shown.UserCode != "WDJB-MJHT" || shown.VerificationURI != "https://id.example/device" || shown.URL != "" {
		t.Errorf("token %v, prompt %+v", tok.RefreshToken, shown)
	}
	if polls.Load() != 2 {
		t.Errorf("%d polls", polls.Load())
	}
}

// TestOpenBrowser honours $BROWSER: a list of commands, the first that
// starts wins, "%s" stands for the URL.
func TestOpenBrowser(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	const u = "https://id.example/auth?a=1&b=two words"
	for _, tc := range []struct{ env, want string }{
		{filepath.Join(dir, "missing") + ":" + script, u + "\n"},
		{script + " --new-window %s", "--new-window\n" + u + "\n"},
	} {
		os.Remove(out)
		t.Setenv("BROWSER", tc.env)
		if err := OpenBrowser(u); err != nil {
			t.Fatalf("OpenBrowser with BROWSER=%q: %v", tc.env, err)
		}
		var got []byte
		for i := 0; i < 500; i++ {
			if got, _ = os.ReadFile(out); got != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if string(got) != tc.want {
			t.Errorf("BROWSER=%q got args %q, want %q", tc.env, got, tc.want)
		}
	}
	t.Setenv("BROWSER", filepath.Join(dir, "missing"))
	if err := OpenBrowser(u); err == nil || !strings.Contains(err.Error(), "$BROWSER") {
		t.Errorf("a missing browser: %v", err)
	}
}
