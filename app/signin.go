package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/oauth"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/imap"
)

// OAuth2 accounts: the running Sluice keeps one token source per account,
// shared by its connector, its connection tests and its sign-ins, so the
// access token of a sign-in is used at once and lives only in memory.

// oauthSettings are an account's sign-in settings.
func oauthSettings(acc config.Account) oauth.Settings {
	return oauth.Settings{
		Account: acc.Name, Provider: acc.OAuthProvider, Tenant: acc.OAuthTenant, Issuer: acc.OAuthIssuer,
		ClientID: acc.OAuthClientID, ClientSecret: acc.OAuthClientSecret, Scopes: acc.OAuthScopes, Username: acc.Username,
	}
}

// tokenSources holds the token source of each OAuth2 account.
type tokenSources struct {
	clk clock.Clock
	log *slog.Logger

	mu sync.Mutex
	m  map[string]*oauth.Source
}

// get returns the account's source, a new one when its settings changed.
func (t *tokenSources) get(acc config.Account) *oauth.Source {
	s := oauthSettings(acc)
	if t == nil {
		return oauth.NewSource(s, oauth.SourceOptions{})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if src, ok := t.m[acc.Name]; ok && reflect.DeepEqual(src.Settings(), s) {
		return src
	}
	if t.m == nil {
		t.m = map[string]*oauth.Source{}
	}
	src := oauth.NewSource(s, oauth.SourceOptions{Clock: t.clk, Logger: t.log})
	t.m[acc.Name] = src
	return src
}

// oauthLogin sets up an OAuth2 account's login: the access token from the
// account's source, or from its password_command (a helper such as oama
// or mutt_oauth2.py that prints an access token), run again when the
// server refused the token.
func oauthLogin(opt *imap.Options, acc config.Account, tokens *tokenSources) {
	opt.Auth, opt.Mechanism, opt.Password = imap.AuthOAuth2, acc.OAuthMechanism, nil
	if acc.PasswordCommand != "" {
		cmd := secrets.Source(acc.Name, secrets.Password, acc.PasswordCommand)
		opt.Token = cmd
		opt.Refresh = func(ctx context.Context, _ string) (string, error) { return cmd(ctx) }
		return
	}
	src := tokens.get(acc)
	opt.Token, opt.Refresh = src.Token, src.Refresh
}

// PresetAuth gives a new imap account the sign-in its preset's provider
// wants (OAuth2 for Gmail, Outlook.com and Microsoft 365) unless the
// account chose one already, e.g. auth = "password" for a Gmail app
// password.
func PresetAuth(acc *config.Account) {
	p, ok := imap.Presets[strings.ToLower(acc.Preset)]
	if !ok || p.OAuth == "" || acc.Auth == "password" {
		return
	}
	if acc.Auth == "" {
		acc.Auth = "oauth2"
	}
	if acc.Auth == "oauth2" && acc.OAuthProvider == "" {
		acc.OAuthProvider = p.OAuth
	}
}

// SignIn signs an account in with its provider in this process (the CLI
// when no Sluice is running) and stores the refresh token in the keyring.
// prompt is told what the user has to do.
func SignIn(ctx context.Context, acc config.Account, device bool, prompt func(oauth.Prompt), log *slog.Logger) error {
	if !acc.OAuth2() {
		return fmt.Errorf("account %q signs in with a password, not with a provider (auth = %q)", acc.Name, acc.Auth)
	}
	c, err := oauth.NewClient(ctx, oauthSettings(acc), nil)
	if err != nil {
		return err
	}
	tok, err := c.Login(ctx, oauth.LoginOptions{Device: device, Prompt: prompt, Logger: log})
	if err != nil {
		return err
	}
	return oauth.SaveSignIn(acc.Name, tok, nil)
}

// signIns are the sign-ins the running Sluice is doing, one per account.
type signIns struct {
	mu  sync.Mutex
	m   map[string]*signInRun
	ctx context.Context // ends when Sluice stops
	end context.CancelFunc
}

type signInRun struct {
	device bool
	cancel context.CancelFunc
	ready  chan struct{} // closed once the user has something to do, or it ended

	mu     sync.Mutex
	status control.LoginStatus
	once   sync.Once
}

func (r *signInRun) get() control.LoginStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *signInRun) update(f func(*control.LoginStatus)) {
	r.mu.Lock()
	f(&r.status)
	r.mu.Unlock()
}

func (r *signInRun) signalReady() { r.once.Do(func() { close(r.ready) }) }

// loginPromptWait bounds how long AccountLogin waits for the provider
// before it can tell the user what to do (OIDC discovery, device code).
const loginPromptWait = 30 * time.Second

// AccountLogin implements control.LoginBackend: it starts the account's
// sign-in (or joins the one under way in the same mode) and returns once
// the user has something to do. On success the refresh token goes to the
// keyring, the access token to the account's token source, and the
// account's connector tries again at once.
func (a *App) AccountLogin(name string, req control.LoginRequest) (control.LoginStatus, error) {
	acc, ok := a.account(name)
	if !ok {
		return control.LoginStatus{}, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
	}
	if !acc.OAuth2() {
		return control.LoginStatus{}, fmt.Errorf("%w: account %q signs in with a password; set its sign-in to a provider (auth = \"oauth2\") first", control.ErrInvalid, name)
	}
	if acc.PasswordCommand != "" {
		return control.LoginStatus{}, fmt.Errorf("%w: account %q gets its access token from its password_command; sign in with that tool", control.ErrInvalid, name)
	}
	r := a.startSignIn(acc, req.Device)
	select {
	case <-r.ready:
	case <-time.After(loginPromptWait):
	}
	st := r.get()
	if req.OpenBrowser && st.State == control.LoginWaiting && st.URL != "" {
		open := a.opt.OpenURL
		if open == nil {
			open = oauth.OpenBrowser
		}
		if err := open(st.URL); err != nil {
			a.log.Warn("browser not opened for a sign-in", "account", name, "err", err)
			r.update(func(s *control.LoginStatus) { s.OpenError = err.Error() })
		} else {
			r.update(func(s *control.LoginStatus) { s.Opened = true })
		}
		st = r.get()
	}
	return st, nil
}

// AccountLoginStatus implements control.LoginBackend.
func (a *App) AccountLoginStatus(name string) (control.LoginStatus, error) {
	if _, ok := a.account(name); !ok {
		return control.LoginStatus{}, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
	}
	a.signins.mu.Lock()
	r := a.signins.m[name]
	a.signins.mu.Unlock()
	if r == nil {
		return control.LoginStatus{Account: name, State: control.LoginNone}, nil
	}
	return r.get(), nil
}

// startSignIn returns the account's sign-in under way in this mode, or
// starts a new one (ending an earlier one in the other mode).
func (a *App) startSignIn(acc config.Account, device bool) *signInRun {
	s := &a.signins
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.m[acc.Name]; r != nil {
		if r.get().State == control.LoginWaiting && r.device == device {
			return r
		}
		r.cancel()
	}
	if s.ctx == nil {
		s.ctx, s.end = context.WithCancel(context.Background())
	}
	if s.m == nil {
		s.m = map[string]*signInRun{}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &signInRun{device: device, cancel: cancel, ready: make(chan struct{}),
		status: control.LoginStatus{Account: acc.Name, State: control.LoginWaiting}}
	s.m[acc.Name] = r
	go func() {
		defer cancel()
		err := a.runSignIn(ctx, acc, r)
		r.update(func(st *control.LoginStatus) {
			st.URL, st.UserCode, st.VerificationURI = "", "", ""
			if err != nil {
				st.State, st.Error = control.LoginFailed, err.Error()
				return
			}
			st.State = control.LoginDone
		})
		r.signalReady()
	}()
	return r
}

func (a *App) runSignIn(ctx context.Context, acc config.Account, r *signInRun) error {
	c, err := oauth.NewClient(ctx, oauthSettings(acc), nil)
	if err != nil {
		return err
	}
	r.update(func(st *control.LoginStatus) { st.Provider = c.Title() })
	tok, err := c.Login(ctx, oauth.LoginOptions{Device: r.device, Clock: a.clk, Logger: a.log,
		Prompt: func(p oauth.Prompt) {
			r.update(func(st *control.LoginStatus) {
				st.URL, st.UserCode, st.VerificationURI, st.Expires = p.URL, p.UserCode, p.VerificationURI, p.Expires
			})
			r.signalReady()
		}})
	if errors.Is(err, context.Canceled) {
		return errors.New("sign-in cancelled")
	}
	if err != nil {
		return err
	}
	// Keep the sign-in and let the account's connector use it at once.
	if err := oauth.SaveSignIn(acc.Name, tok, a.tokens.get(acc)); err != nil {
		return err
	}
	a.log.Info("signed in", "account", acc.Name)
	a.conns.retry(acc.Name)
	return nil
}

// stopSignIns ends every sign-in under way (Sluice is stopping).
func (s *signIns) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end != nil {
		s.end()
	}
}

// account finds a configured account by name.
func (a *App) account(name string) (config.Account, bool) {
	for _, acc := range a.Config().Accounts {
		if acc.Name == name {
			return acc, true
		}
	}
	return config.Account{}, false
}
