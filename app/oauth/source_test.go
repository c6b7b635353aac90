package oauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
)

// signIn runs the browser flow for account and saves it like the app does.
func signIn(t *testing.T, p *oidctest.Provider, account string, src *Source) *oauth2.Token {
	t.Helper()
	p.SignInAs(alice)
	prompt, _ := browse(nil)
	tok, err := newClient(t, settings(p, account)).Login(context.Background(), LoginOptions{Prompt: prompt})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := SaveSignIn(account, tok, src); err != nil {
		t.Fatalf("SaveSignIn: %v", err)
	}
	return tok
}

func keyring(t *testing.T, account string) string {
	t.Helper()
	rt, err := secrets.Get(account, secrets.RefreshToken)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	return rt
}

// TestSourceRefreshesBeforeExpiry: the access token from the sign-in is
// used as it is, refreshed once it is within its last minutes (by the
// injected clock), and concurrent callers share one refresh.
func TestSourceRefreshesBeforeExpiry(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{AccessTTL: 10 * time.Minute})
	clk := clock.NewFake(time.Now())
	src := NewSource(settings(p, "expiry"), SourceOptions{Clock: clk})
	if _, err := src.Token(context.Background()); !errors.Is(err, model.ErrSignInNeeded) || !strings.Contains(err.Error(), "sluice account login expiry") {
		t.Fatalf("before any sign-in: %v", err)
	}
	if p.Refreshes() != 0 {
		t.Fatal("asked the provider without a refresh token")
	}
	first := signIn(t, p, "expiry", src).AccessToken
	got, err := src.Token(context.Background())
	if err != nil || got != first || p.Refreshes() != 0 {
		t.Fatalf("Token after sign-in = %v, %v; %d refreshes; want the sign-in's token, no refresh", got == first, err, p.Refreshes())
	}
	clk.Advance(7 * time.Minute) // 3 minutes left: more than a quarter of its life
	if got, _ := src.Token(context.Background()); got != first || p.Refreshes() != 0 {
		t.Fatalf("refreshed with 3 of 10 minutes left")
	}
	clk.Advance(time.Minute) // 2 minutes left: under a quarter
	results := make(chan string, 4)
	for range 4 {
		go func() {
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			results <- tok
		}()
	}
	second := <-results
	for range 3 {
		if tok := <-results; tok != second {
			t.Error("concurrent callers got different tokens")
		}
	}
	if p.Refreshes() != 1 {
		t.Errorf("%d refreshes for four callers, want 1", p.Refreshes())
	}
	if second == "" {
		t.Fatal("no access token")
	}
}

// TestSourceRefreshAfterRefusal: a token the server refused is replaced
// once; a caller that reports an older token gets the new one without
// another refresh.
func TestSourceRefreshAfterRefusal(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	src := NewSource(settings(p, "refused"), SourceOptions{})
	first := signIn(t, p, "refused", src).AccessToken
	p.Expire() // the server now refuses first; the source does not know
	fresh, err := src.Refresh(context.Background(), first)
	if err != nil || fresh == first || p.Refreshes() != 1 {
		t.Fatalf("Refresh = %v; %d refreshes", err, p.Refreshes())
	}
	again, err := src.Refresh(context.Background(), first)
	if err != nil || again != fresh || p.Refreshes() != 1 {
		t.Errorf("a second report of the old token refreshed again (%d refreshes)", p.Refreshes())
	}
}

// TestSourceRotation: a rotated refresh token is in the keyring as soon as
// the refresh returns, and the next refresh works with it although the
// provider revoked the old one.
func TestSourceRotation(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{Rotate: true})
	src := NewSource(settings(p, "rotate"), SourceOptions{})
	tok := signIn(t, p, "rotate", src)
	if keyring(t, "rotate") != tok.RefreshToken {
		t.Fatal("the sign-in's refresh token is not in the keyring")
	}
	for i := range 2 {
		before := keyring(t, "rotate")
		current, _ := src.Token(context.Background())
		if _, err := src.Refresh(context.Background(), current); err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		if after := keyring(t, "rotate"); after == before {
			t.Fatalf("refresh %d: the rotated refresh token was not saved", i+1)
		}
	}
}

// TestSourceRevoked: a refresh token the provider refuses means sign-in
// needed, and the provider is not asked again with it; a new sign-in
// cures it.
func TestSourceRevoked(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	src := NewSource(settings(p, "revoked"), SourceOptions{})
	tok := signIn(t, p, "revoked", src)
	p.Revoke(tok.RefreshToken)
	_, err := src.Refresh(context.Background(), tok.AccessToken)
	if !errors.Is(err, model.ErrSignInNeeded) || !strings.Contains(err.Error(), "invalid_grant: The refresh token was revoked.") {
		t.Fatalf("Refresh with a revoked refresh token: %v", err)
	}
	for range 3 {
		if _, err2 := src.Token(context.Background()); !errors.Is(err2, model.ErrSignInNeeded) || err2.Error() != err.Error() {
			t.Fatalf("later Token: %v", err2)
		}
	}
	if p.Refreshes() != 1 {
		t.Errorf("the provider was asked %d times, want once", p.Refreshes())
	}
	if strings.Contains(err.Error(), tok.RefreshToken) || strings.Contains(err.Error(), tok.AccessToken) {
		t.Error("the error repeats a token")
	}
	signIn(t, p, "revoked", src)
	current, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("after a new sign-in: %v", err)
	}
	p.Expire()
	if _, err := src.Refresh(context.Background(), current); err != nil || p.Refreshes() != 2 {
		t.Fatalf("refresh after a new sign-in: %v (%d refreshes)", err, p.Refreshes())
	}
}

// TestSourceExpiresIn: a lifetime is counted from when the token arrived;
// an absurd one (mockoidc's raw nanoseconds) means unknown, not overflow.
func TestSourceExpiresIn(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s := NewSource(Settings{Account: "x"}, SourceOptions{Clock: clk})
	s.Set(&oauth2.Token{AccessToken: "a", ExpiresIn: 3600})
	if !s.expiry.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("expiry %v", s.expiry)
	}
	s.Set(&oauth2.Token{AccessToken: "a", ExpiresIn: int64(10 * time.Minute)})
	if !s.expiry.IsZero() || s.expiresSoon() {
		t.Errorf("absurd lifetime gave expiry %v", s.expiry)
	}
	if err := SaveSignIn("x", &oauth2.Token{AccessToken: "a"}, s); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("SaveSignIn without a refresh token: %v", err)
	}
}
