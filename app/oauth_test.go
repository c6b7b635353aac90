//go:build unix

package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// End to end, with real parts only: an OIDC provider (mockoidc) in the
// test, a Dovecot whose oauth2 passdb checks tokens at the provider's
// userinfo endpoint, the app with its store and control API, a test
// keyring, and an HTTP client as the browser: it follows the sign-in URL
// through the provider back to the app's loopback listener.

var aliceUser = oidctest.User{Email: "alice@example.com"}

// oauthWorld is one provider, one Dovecot and one running app.
type oauthWorld struct {
	t       *testing.T
	p       *oidctest.Provider
	srv     *dovecottest.Server
	app     *App
	c       *control.Client
	cfgPath string
	logs    *lockedBuffer
	browsed chan error
	stop    func()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// worlds numbers the test worlds of this process.
var worlds atomic.Int64

// newOAuthWorld starts everything; open is the browser (nil: one that
// follows the sign-in URL through the provider).
func newOAuthWorld(t *testing.T, mech string, clk clock.Clock, open func(string) error) *oauthWorld {
	t.Helper()
	t.Parallel()
	mockKeyring.Do(secrets.MockForTests)
	w := &oauthWorld{t: t, logs: &lockedBuffer{}, browsed: make(chan error, 4)}
	w.p = oidctest.New(t, oidctest.Options{})
	w.srv = dovecottest.New(t, dovecottest.Options{
		Users:  map[string]string{aliceUser.Email: "pw"},
		OAuth2: &dovecottest.OAuth2{IntrospectionURL: w.p.UserinfoURL()},
	})
	dir, err := os.MkdirTemp("", "so")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	w.cfgPath = filepath.Join(dir, "config.toml")
	cfg := config.Default()
	cfg.Accounts = []config.Account{{
		// A unique name per world: the test keyring is shared by the
		// process (and by the runs of -count).
		Name: fmt.Sprintf("Work %s %d", t.Name(), worlds.Add(1)), Kind: "imap", Host: w.srv.Host, Port: w.srv.IMAPSPort, Security: "tls", CAFile: w.srv.CAFile,
		Username: aliceUser.Email, Auth: "oauth2", OAuthProvider: "oidc", OAuthIssuer: w.p.Issuer,
		OAuthClientID: w.p.ClientID, OAuthClientSecret: w.p.ClientSecret, OAuthMechanism: mech,
		// One connection, so the provider's login count is exact.
		SentFolder: "-",
	}}
	if err := config.Save(w.cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if open == nil {
		open = func(u string) error {
			go func() {
				_, err := oidctest.Visit(u, nil, true)
				w.browsed <- err
			}()
			return nil
		}
	}
	w.app, err = New(Options{ConfigPath: w.cfgPath, DataDir: filepath.Join(dir, "d"), Logger: log, Clock: clk, OpenURL: open})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.app.Run(ctx) }()
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
		if t.Failed() {
			t.Logf("app log:\n%s", w.logs)
		}
	})
	w.c = control.NewClient(filepath.Join(dir, "d"))
	w.waitFor("the control API", 10*time.Second, func() bool {
		_, err := w.c.Status(context.Background())
		return err == nil
	})
	return w
}

func (w *oauthWorld) account() string { return w.app.Config().Accounts[0].Name }

func (w *oauthWorld) waitFor(what string, d time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out after %v waiting for %s; health %+v", d, what, w.app.Gate().Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *oauthWorld) health() model.Health {
	for _, h := range w.app.Gate().Health() {
		if h.Account == w.account() {
			return h
		}
	}
	return model.Health{}
}

func (w *oauthWorld) waitHealth(state model.HealthState, d time.Duration) model.Health {
	w.t.Helper()
	w.waitFor("health "+string(state), d, func() bool { return w.health().State == state })
	return w.health()
}

// signIn signs in through the control API as the windows and the tray do.
func (w *oauthWorld) signIn() {
	w.t.Helper()
	w.p.SignInAs(aliceUser)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := w.c.AccountLogin(ctx, w.account(), control.LoginRequest{OpenBrowser: true})
	if err != nil {
		w.t.Fatalf("AccountLogin: %v", err)
	}
	if st.State != control.LoginWaiting || !st.Opened || !strings.HasPrefix(st.URL, w.p.Issuer) {
		w.t.Fatalf("AccountLogin = %+v", st)
	}
	st, err = w.c.WaitLogin(ctx, w.account(), 20*time.Millisecond)
	if err != nil || st.State != control.LoginDone {
		w.t.Fatalf("sign-in ended %+v, %v", st, err)
	}
	if err := <-w.browsed; err != nil {
		w.t.Fatalf("the browser saw: %v", err)
	}
}

// deliver puts a message in alice's INBOX and waits for it in the store.
func (w *oauthWorld) deliver(subject string) {
	w.t.Helper()
	raw := "From: Ann <ann@example.com>\r\nTo: alice@example.com\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.com>\r\nDate: Mon, 23 Nov 2026 10:59:58 +0100\r\n\r\nBody of " + subject + ".\r\n"
	if _, err := w.srv.Deliver(aliceUser.Email, "INBOX", []byte(raw), time.Now()); err != nil {
		w.t.Fatal(err)
	}
	w.waitFor("mail "+subject+" in the store", 20*time.Second, func() bool {
		for _, st := range []model.State{model.StateHeld, model.StateReleased} {
			page, _ := w.app.Gate().List(st, gate.ListQuery{Limit: 100})
			for _, it := range page.Items {
				if it.Subject == subject && it.Account == w.account() {
					return true
				}
			}
		}
		return false
	})
}

// TestOAuthEndToEnd signs an account in through the control API (the
// browser follows the redirect to the app's loopback listener), keeps the
// refresh token in the test keyring, logs in with XOAUTH2 and with
// OAUTHBEARER, and stores new mail. No token reaches the config, the store
// or the log.
func TestOAuthEndToEnd(t *testing.T) {
	for _, mech := range []string{"xoauth2", "oauthbearer"} {
		t.Run(mech, func(t *testing.T) {
			w := newOAuthWorld(t, mech, nil, nil)
			h := w.waitHealth(model.HealthSignInNeeded, 10*time.Second)
			if !strings.Contains(h.Detail, "is not signed in (run `sluice account login") || w.p.Userinfo() != 0 {
				t.Fatalf("before sign-in: %+v, %d logins", h, w.p.Userinfo())
			}
			if st, _ := w.c.LoginStatus(context.Background(), w.account()); st.State != control.LoginNone {
				t.Errorf("login status before any sign-in: %+v", st)
			}

			w.signIn()
			w.waitHealth(model.HealthConnected, 20*time.Second)
			if w.p.CodeExchanges() != 1 || w.p.Refreshes() != 0 {
				t.Errorf("%d code exchanges, %d refreshes: the sign-in's access token should be used as it is", w.p.CodeExchanges(), w.p.Refreshes())
			}
			w.deliver("Signed in with " + mech)
			if msg, err := w.c.AccountTest(context.Background(), w.account()); err != nil || !strings.Contains(msg, "signed in with 127.0.0.1") {
				t.Errorf("AccountTest = %q, %v", msg, err)
			}
			logins := dovecotLog(t, w.srv)
			if want := "method=" + strings.ToUpper(mech) + ","; !strings.Contains(logins, want) {
				t.Errorf("Dovecot's log has no login with %s", want)
			}

			rt, err := secrets.Get(w.account(), secrets.RefreshToken)
			if err != nil {
				t.Fatalf("refresh token in the keyring: %v", err)
			}
			at, err := w.app.tokens.get(w.app.Config().Accounts[0]).Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			w.stop()
			w.stop = nil
			noTokens(t, map[string]string{"refresh token": rt, "access token": at}, map[string]string{
				"config": w.cfgPath, "store": filepath.Join(filepath.Dir(w.cfgPath), "d", "sluice.db"),
			}, w.logs.String())
		})
	}
}

// noTokens is the grep test: no token in any file or the log, in full or
// as a recognisable part (the JWT's signature).
func noTokens(t *testing.T, tokens, files map[string]string, log string) {
	t.Helper()
	haystacks := map[string]string{"the log": log}
	for name, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read the %s: %v", name, err)
		}
		if len(b) == 0 {
			t.Fatalf("the %s is empty", name)
		}
		haystacks["the "+name] = string(b)
	}
	for tname, tok := range tokens {
		if len(tok) < 20 {
			t.Fatalf("%s %q is too short to grep for", tname, tok)
		}
		sig := tok[len(tok)-20:]
		for hname, h := range haystacks {
			if strings.Contains(h, tok) || strings.Contains(h, sig) {
				t.Errorf("the %s is in %s", tname, hname)
			}
		}
	}
}

func healthOf(st control.Status, account string) string {
	for _, h := range st.Health {
		if h.Account == account {
			return string(h.State)
		}
	}
	return ""
}

func dovecotLog(t *testing.T, s *dovecottest.Server) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
	return string(b)
}

// TestOAuthRefreshAndRevoke: an access token the server stopped accepting
// is refreshed once and the account carries on; a refresh token the
// provider revoked leaves the account "sign-in needed" with no retry storm
// (the server saw one login, the provider one refresh, and nothing more
// while the connector backs off); signing in again brings it back.
func TestOAuthRefreshAndRevoke(t *testing.T) {
	w := newOAuthWorld(t, "", nil, nil)
	w.waitHealth(model.HealthSignInNeeded, 10*time.Second)
	w.signIn()
	w.waitHealth(model.HealthConnected, 20*time.Second)

	// The provider's clock passes the access token's lifetime; the app's
	// does not, so it presents the token and the server refuses it.
	w.p.Expire()
	logins := w.p.Userinfo()
	if err := w.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	w.waitFor("a reconnect", 20*time.Second, func() bool { return w.p.Userinfo() > logins })
	w.waitHealth(model.HealthConnected, 30*time.Second)
	if n := w.p.Refreshes(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if n := w.p.Userinfo() - logins; n != 2 {
		t.Errorf("%d logins, want 2: the refused token, then the refreshed one", n)
	}
	w.deliver("After the refresh")

	// Revoked: the refresh token is refused too.
	rt, err := secrets.Get(w.account(), secrets.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	w.p.Revoke(rt)
	w.p.Expire()
	logins, refreshes := w.p.Userinfo(), w.p.Refreshes()
	if err := w.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	h := w.waitHealth(model.HealthSignInNeeded, 30*time.Second)
	if !h.NeedsAttention() || !strings.Contains(h.Detail, "no longer accepts the sign-in") || !strings.Contains(h.Detail, "revoked") {
		t.Errorf("health %+v", h)
	}
	time.Sleep(3 * time.Second) // far more than the backoff (2 s, doubling)
	if n := w.p.Userinfo() - logins; n != 1 {
		t.Errorf("the server saw %d logins after the revocation, want 1", n)
	}
	if n := w.p.Refreshes() - refreshes; n != 1 {
		t.Errorf("the provider was asked %d times after the revocation, want 1", n)
	}
	w.app.Wake() // resume from sleep: still no storm, the refused token is not tried again
	time.Sleep(500 * time.Millisecond)
	if n := w.p.Refreshes() - refreshes; n != 1 {
		t.Errorf("after a wake-up the provider was asked %d times, want 1", n)
	}
	if st, _ := w.c.Status(context.Background()); !strings.Contains(healthOf(st, w.account()), "sign-in-needed") {
		t.Errorf("status health %q", healthOf(st, w.account()))
	}

	// Sign in again, as the tray's "Sign in to …" does.
	w.signIn()
	w.waitHealth(model.HealthConnected, 30*time.Second)
	w.deliver("After signing in again")
}

// TestOAuthSignInTimesOut: a sign-in nobody finishes ends at the deadline
// (on the app's clock) and says so through the control API.
func TestOAuthSignInTimesOut(t *testing.T) {
	clk := clock.NewFake(time.Now())
	w := newOAuthWorld(t, "", clk, func(string) error { return nil }) // a browser that never comes back
	st, err := w.c.AccountLogin(context.Background(), w.account(), control.LoginRequest{OpenBrowser: true})
	if err != nil || st.State != control.LoginWaiting {
		t.Fatalf("AccountLogin = %+v, %v", st, err)
	}
	u, _ := url.Parse(st.URL)
	if u.Query().Get("state") == "" {
		t.Fatalf("URL %q", st.URL)
	}
	// Asking again joins the sign-in under way.
	if again, _ := w.c.AccountLogin(context.Background(), w.account(), control.LoginRequest{}); again.URL != st.URL {
		t.Error("a second request started another sign-in")
	}
	clk.Advance(5 * time.Minute)
	st, err = w.c.WaitLogin(context.Background(), w.account(), 20*time.Millisecond)
	if err != nil || st.State != control.LoginFailed || !strings.Contains(st.Error, "sign-in timed out: no answer within 5m0s") {
		t.Fatalf("after the deadline: %+v, %v", st, err)
	}
	if !errors.Is(st.Err(), control.ErrLoginFailed) {
		t.Error("Err() of a failed sign-in")
	}
	// A password account cannot sign in with a provider.
	cfg := w.app.Config()
	cfg.Accounts[0].Auth, cfg.Accounts[0].OAuthProvider, cfg.Accounts[0].OAuthIssuer = "", "", ""
	cfg.Accounts[0].OAuthClientID, cfg.Accounts[0].OAuthClientSecret = "", ""
	if err := w.c.SetConfig(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	var ce *control.Error
	if _, err := w.c.AccountLogin(context.Background(), w.account(), control.LoginRequest{}); !errors.As(err, &ce) || !strings.Contains(ce.Msg, "signs in with a password") {
		t.Errorf("sign-in of a password account: %v", err)
	}
	if _, err := w.c.AccountLogin(context.Background(), "nobody", control.LoginRequest{}); !errors.As(err, &ce) || ce.Code != 404 {
		t.Errorf("sign-in of an unknown account: %v", err)
	}
}
