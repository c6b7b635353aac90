//go:build unix

package imap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// OAuth2 logins against a real Dovecot whose oauth2 passdb checks every
// token at a real OIDC provider's userinfo endpoint (mockoidc in the test
// process). The tokens come straight from the provider here; the app's
// sign-in flow and token source are tested in app and app/oauth.

var (
	alice = oidctest.User{Email: "alice@example.com"}
	bob   = oidctest.User{Email: "bob@example.com"}
)

// startOAuthDovecot starts a provider and a Dovecot that accepts its tokens
// for alice@example.com and bob@example.com.
func startOAuthDovecot(t *testing.T) (*dovecottest.Server, *oidctest.Provider) {
	t.Helper()
	t.Parallel()
	p := oidctest.New(t, oidctest.Options{})
	s := dovecottest.New(t, dovecottest.Options{
		Users:  map[string]string{alice.Email: "alicepw", bob.Email: "bobpw"},
		OAuth2: &dovecottest.OAuth2{IntrospectionURL: p.UserinfoURL()},
	})
	return s, p
}

// tokens is a token source for a test: a fixed current token, and a
// refresh that hands out the next one and counts its calls.
type tokens struct {
	mu        sync.Mutex
	current   string
	next      []string
	refreshed []string // the tokens the connector said were refused
	refuse    error    // what Refresh returns when set
}

func (k *tokens) Token(context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.current, nil
}

func (k *tokens) Refresh(_ context.Context, rejected string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshed = append(k.refreshed, rejected)
	if k.refuse != nil {
		return "", k.refuse
	}
	if len(k.next) > 0 {
		k.current, k.next = k.next[0], k.next[1:]
	}
	return k.current, nil
}

func (k *tokens) refreshes() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.refreshed)
}

// dovecotLogins counts the successful logins in Dovecot's log with method
// mech (any method when mech is "").
func dovecotLogins(s *dovecottest.Server, mech string) int {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "imap-login: Info: Login: ") && (mech == "" || strings.Contains(l, "method="+mech+",")) {
			n++
		}
	}
	return n
}

func oauthOptions(s *dovecottest.Server, user, mech string, k *tokens) Options {
	return Options{
		Account: "work", Host: s.Host, Port: s.IMAPSPort, Security: SecurityTLS, CAFile: s.CAFile,
		Username: user, Auth: AuthOAuth2, Mechanism: mech, Token: k.Token, Refresh: k.Refresh,
		BackoffBase: 50 * time.Millisecond, BackoffCap: 500 * time.Millisecond,
		CommandTimeout: 10 * time.Second, DialTimeout: 5 * time.Second,
	}
}

// TestDovecotOAuthMechanisms logs in with XOAUTH2, with OAUTHBEARER and
// with whichever the server prefers, watches INBOX and gets new mail.
func TestDovecotOAuthMechanisms(t *testing.T) {
	s, p := startOAuthDovecot(t)
	for _, mech := range []string{MechXOAUTH2, MechOAuthBearer, ""} {
		t.Run("mech="+mech, func(t *testing.T) {
			k := &tokens{current: p.Token(t, alice).AccessToken}
			opt := oauthOptions(s, alice.Email, mech, k)
			c, err := New(opt)
			if err != nil {
				t.Fatal(err)
			}
			want := mech
			if want == "" {
				want = MechOAuthBearer // offered by Dovecot, so preferred
			}
			before, logins := p.Userinfo(), dovecotLogins(s, want)
			if err := c.Test(context.Background()); err != nil {
				t.Fatalf("Test: %v", err)
			}
			if n := p.Userinfo() - before; n != 1 {
				t.Errorf("Dovecot checked %d tokens for one login, want 1", n)
			}
			// Dovecot's log process writes the line a moment later.
			waitFor(t, 5*time.Second, "a login with method="+want+" in Dovecot's log", func() bool { return dovecotLogins(s, want) > logins })
			sink := newSink(t)
			start(t, opt, sink)
			waitHealth(t, sink, model.HealthConnected, 10*time.Second)
			subject := "token login " + strings.ToLower(mech+"auto")
			if _, err := s.Deliver(alice.Email, "INBOX", []byte(mail(fmt.Sprintf("%s@x", mech+"auto"), subject, "hello")), time.Now()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the new mail", func() bool { _, ok := sink.bySubject(subject); return ok })
			if k.refreshes() != 0 {
				t.Errorf("a valid token was refreshed %d times", k.refreshes())
			}
		})
	}
}

// TestDovecotOAuthRefused: a bogus token and another user's token are
// refused. The exchange ends cleanly (the SASL error challenge is answered
// with 0x01, never with go-imap's "=" that Dovecot calls invalid base64),
// the token is refreshed exactly once and tried again, and a fresh token
// refused as not this user's means the user must sign in. Dovecot answers
// a token its introspection cannot read (mockoidc's error JSON) with NO
// [UNAVAILABLE], a passing condition: the login fails and is retried later.
// Each case has its own servers, since Dovecot delays the logins from an
// address that just failed.
func TestDovecotOAuthRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		bobs   bool // present bob's token as alice; else a bogus one
		mech   string
		signIn bool
	}{
		{"bogus token, XOAUTH2", false, MechXOAUTH2, false},
		{"bogus token, OAUTHBEARER", false, MechOAuthBearer, false},
		{"another user's token, XOAUTH2", true, MechXOAUTH2, true},
		{"another user's token, OAUTHBEARER", true, MechOAuthBearer, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, p := startOAuthDovecot(t)
			token := "bogus"
			if tc.bobs {
				token = p.Token(t, bob).AccessToken
			}
			k := &tokens{current: token, next: []string{token}}
			c, err := New(oauthOptions(s, alice.Email, tc.mech, k))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Test(context.Background())
			if err == nil {
				t.Fatal("a refused token logged in")
			}
			if !strings.Contains(err.Error(), "NO [") || strings.Contains(err.Error(), "base64") {
				t.Errorf("the SASL exchange did not end in a clean NO: %v", err)
			}
			if k.refreshes() != 1 || k.refreshed[0] != token {
				t.Errorf("refreshed %d times, want once, the refused token", k.refreshes())
			}
			if n := p.Userinfo(); n != 2 {
				t.Errorf("Dovecot checked %d tokens, want 2 (the token, then the refreshed one)", n)
			}
			if got := errors.Is(err, model.ErrSignInNeeded); got != tc.signIn || errors.Is(err, ErrAuth) != tc.signIn {
				t.Errorf("sign-in needed %v, want %v: %v", got, tc.signIn, err)
			}
			if tc.signIn && !strings.Contains(err.Error(), "refused a freshly refreshed access token (NO [AUTHENTICATIONFAILED]") {
				t.Errorf("error %q does not say what the server did", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Error("the error repeats the token")
			}
		})
	}
}

// TestDovecotOAuthSignInNeeded: an account whose token the server refuses
// even fresh reports "sign-in needed" once and asks the server nothing more
// (no retry storm, whatever the backoff), nor does one whose token source
// says there is no sign-in; after the user signs in again (Wake) it
// connects.
func TestDovecotOAuthSignInNeeded(t *testing.T) {
	s, p := startOAuthDovecot(t)
	bobs := p.Token(t, bob).AccessToken
	k := &tokens{current: bobs, next: []string{bobs}}
	opt := oauthOptions(s, alice.Email, "", k)
	opt.Folders = []string{"INBOX", "Sent", "Trash"}
	sink := newSink(t)
	r := start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthSignInNeeded, 20*time.Second)
	if !h.NeedsAttention() || !strings.Contains(h.Detail, "refused a freshly refreshed access token") {
		t.Errorf("health %+v", h)
	}
	time.Sleep(time.Second) // twenty backoff periods
	if n := p.Userinfo(); n != 2 {
		t.Errorf("the server checked %d tokens, want 2: the token and the refreshed one, for all three folders", n)
	}
	if k.refreshes() != 1 {
		t.Errorf("refreshed %d times, want 1", k.refreshes())
	}

	// The user signs in again: a good token, and the connector is woken.
	good := p.Token(t, alice).AccessToken
	k.mu.Lock()
	k.current, k.next = good, nil
	k.mu.Unlock()
	r.c.Wake()
	h = waitHealth(t, sink, model.HealthConnected, 20*time.Second)
	if h.Detail != "watching INBOX, Sent, Trash (IDLE)" {
		t.Errorf("health detail %q", h.Detail)
	}
}

// TestOAuthTokenSourceSignInNeeded: when the token source itself says the
// user must sign in (no refresh token stored, or the provider refused it),
// the server is never asked and the account waits for Wake.
func TestOAuthTokenSourceSignInNeeded(t *testing.T) {
	ms := newMemServer(t)
	var asked atomic.Int32
	opt := ms.options("work")
	opt.Password = nil
	opt.Auth = AuthOAuth2
	opt.Token = func(context.Context) (string, error) {
		asked.Add(1)
		return "", fmt.Errorf("the provider refused the saved sign-in: %w", model.ErrSignInNeeded)
	}
	sink := newSink(t)
	r := start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthSignInNeeded, 10*time.Second)
	if h.Detail != "the provider refused the saved sign-in: sign-in needed" {
		t.Errorf("health detail %q", h.Detail)
	}
	time.Sleep(200 * time.Millisecond)
	if n := asked.Load(); n != 1 {
		t.Errorf("the token source was asked %d times, want 1", n)
	}
	if tr := ms.traffic.String(); tr != "" {
		t.Errorf("the server was contacted:\n%s", tr)
	}
	r.c.Wake()
	waitFor(t, 10*time.Second, "a new try after Wake", func() bool { return asked.Load() == 2 })
}
