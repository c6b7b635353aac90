package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
)

// TestAccountsSignIn: an account that signs in with a provider shows no
// password but "Sign in again" while the provider wants a new sign-in; the
// button makes the running Sluice open the provider's page (a browser
// that follows it stands in for the user) and the window says when it is
// done. The window itself never touches the flow or the tokens.
func TestAccountsSignIn(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	cfg := testConfig()
	cfg.Accounts = []config.Account{{Name: "Corp", Kind: "imap", Host: "127.0.0.1", Port: 1, Security: "tls", Username: "alice@example.com",
		Auth: "oauth2", OAuthProvider: "oidc", OAuthIssuer: p.Issuer, OAuthClientID: p.ClientID, OAuthClientSecret: p.ClientSecret}}
	f := newFixture(t, cfg)
	// Restart the Sluice with a browser that follows the sign-in page.
	f.stop()
	opened := make(chan error, 1)
	f.browser = func(u string) error {
		go func() {
			_, err := oidctest.Visit(u, nil, true)
			opened <- err
		}()
		return nil
	}
	f.start()
	deadline := time.Now().Add(10 * time.Second)
	for f.health("Corp").State != model.HealthSignInNeeded {
		if time.Now().After(deadline) {
			t.Fatalf("health %+v", f.health("Corp"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	s, _ := openSettings(t, f, TabAccounts)
	s.accounts.list.Select(1)
	editor := s.accounts.editor
	if find(editor, func(e *widget.Entry) bool { return e.Password }) != nil {
		t.Error("a password field for an account that signs in with a provider")
	}
	if !strings.Contains(texts(editor), "127.0.0.1 needs you to sign in.") {
		t.Errorf("editor:\n%s", texts(editor))
	}
	test.Tap(findButton(t, editor, "Sign in again"))
	if err := <-opened; err != nil {
		t.Fatalf("the browser saw: %v", err)
	}
	if !strings.Contains(texts(editor), "Signed in with 127.0.0.1. Sluice connects now.") {
		t.Errorf("after signing in:\n%s", texts(editor))
	}
	if _, err := secrets.Get("Corp", secrets.RefreshToken); err != nil {
		t.Errorf("refresh token: %v", err)
	}
}

// TestAccountsSignInChoice: the "Sign in" choice shows the rows of each
// method, presets choose their provider's sign-in, and an unsaved account
// is saved before it can sign in.
func TestAccountsSignInChoice(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabAccounts)
	test.Tap(findButton(t, s.tabs.Selected().Content, "Add mail account"))
	editor := func() string { return texts(s.accounts.editor) }
	sel := func(selected string) *widget.Select {
		return find(s.accounts.editor, func(sel *widget.Select) bool { return sel.Selected == selected })
	}
	sel("Other server").SetSelected("Microsoft 365 (work or school)")
	acc := s.cfg.Accounts[0]
	if acc.Auth != "oauth2" || acc.OAuthProvider != "microsoft" {
		t.Fatalf("office365 preset: auth %q provider %q", acc.Auth, acc.OAuthProvider)
	}
	if !strings.Contains(editor(), "Tenant") || find(s.accounts.editor, func(e *widget.Entry) bool { return e.Password }) != nil {
		t.Errorf("Microsoft rows:\n%s", editor())
	}
	test.Tap(findButton(t, s.accounts.editor, "Sign in with Microsoft"))
	if !strings.Contains(editor(), "Save first") {
		t.Errorf("an unsaved account started a sign-in:\n%s", editor())
	}
	sel("Microsoft").SetSelected("Password")
	if s.cfg.Accounts[0].OAuth2() || find(s.accounts.editor, func(e *widget.Entry) bool { return e.Password }) == nil {
		t.Errorf("back to a password: %+v", s.cfg.Accounts[0])
	}
	sel("Password").SetSelected("OpenID Connect provider")
	if !strings.Contains(editor(), "Issuer") {
		t.Errorf("OIDC rows:\n%s", editor())
	}
	sel("Microsoft 365 (work or school)").SetSelected("Fastmail")
	if !s.cfg.Accounts[0].OAuth2() || s.cfg.Accounts[0].OAuthProvider != "oidc" {
		t.Errorf("a preset without OAuth changed a sign-in the user chose: %+v", s.cfg.Accounts[0])
	}
}

// TestWelcomeSignInWithMicrosoft: an Outlook.com address signs in with
// Microsoft; the settings are saved, and a sign-in that cannot start
// (this build has no Microsoft client ID) is said on the last page.
func TestWelcomeSignInWithMicrosoft(t *testing.T) {
	f := newFixture(t, testConfig())
	w, _ := f.ui.Open(WindowWelcome)
	wl := f.ui.windows[WindowWelcome].page.(*welcome)
	root := func() fyne.CanvasObject { return content(w) }
	test.Tap(wl.next)
	find(root(), func(r *widget.RadioGroup) bool { return len(r.Options) == 3 }).SetSelected("A mail account (IMAP)")
	test.Type(entryWithPlaceholder(t, root(), "you@example.com"), "me@outlook.com")
	if find(root(), func(e *widget.Entry) bool { return e.Password }) != nil || find(root(), func(c *widget.Check) bool { return c.Text == "Use an app password instead" }) != nil {
		t.Errorf("Outlook.com asks for a password:\n%s", texts(root()))
	}
	test.Tap(wl.next)
	test.Tap(wl.next)
	if got := texts(root()); !strings.Contains(got, "Saved. Signing in to Microsoft did not start: no OAuth client ID for Microsoft") {
		t.Errorf("last page:\n%s", got)
	}
	saved, err := f.client.Config(f.ctx())
	if err != nil || len(saved.Accounts) != 1 || saved.Accounts[0].Auth != "oauth2" || saved.Accounts[0].OAuthProvider != "microsoft" {
		t.Fatalf("saved %+v %v", saved.Accounts, err)
	}
}

func (f *fixture) health(account string) model.Health {
	for _, h := range f.app.Gate().Health() {
		if h.Account == account {
			return h
		}
	}
	return model.Health{}
}
