package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
)

func TestMain(m *testing.M) {
	secrets.MockForTests()
	os.Exit(m.Run())
}

// cliEnv runs the command line in this process against temp files.
type cliEnv struct {
	t        *testing.T
	cfg, dat string
	opened   atomic.Int32
	browse   func(string) error
}

func newCLI(t *testing.T) *cliEnv {
	dir, err := os.MkdirTemp("", "sc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &cliEnv{t: t, cfg: filepath.Join(dir, "config.toml"), dat: filepath.Join(dir, "d")}
}

func (c *cliEnv) run(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = Run(Env{
		Args: append([]string{"--config", c.cfg, "--data", c.dat}, args...), Stdin: strings.NewReader(""), Stdout: &o, Stderr: &e,
		OpenURL: func(u string) error {
			c.opened.Add(1)
			if c.browse != nil {
				return c.browse(u)
			}
			return nil
		},
	})
	return o.String(), e.String(), code
}

func (c *cliEnv) mustRun(args ...string) string {
	c.t.Helper()
	o, e, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("sluice %s: exit %d\n%s%s", strings.Join(args, " "), code, o, e)
	}
	return o
}

// TestAccountAddPresets: the Microsoft and Google presets sign in with
// OAuth2 unless told otherwise, and say what to do next.
func TestAccountAddPresets(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("account", "add", "imap", "Work", "--preset", "office365", "--user", "me@corp.example")
	if !strings.Contains(out, "Next: sluice account login Work") {
		t.Errorf("account add: %q", out)
	}
	c.mustRun("account", "add", "imap", "Home", "--preset", "gmail", "--user", "me@gmail.com", "--client-id", "id.apps.googleusercontent.com")
	c.mustRun("account", "add", "imap", "Old Gmail", "--preset", "gmail", "--user", "me@gmail.com", "--auth", "password")
	c.mustRun("account", "add", "imap", "Corp", "--preset", "office365", "--user", "me@corp.example", "--tenant", "corp.example")
	cfg, err := config.Load(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ auth, provider, tenant, host string }{
		{"oauth2", "microsoft", "", "outlook.office365.com"},
		{"oauth2", "google", "", "imap.gmail.com"},
		{"password", "", "", "imap.gmail.com"},
		{"oauth2", "microsoft", "corp.example", "outlook.office365.com"},
	}
	for i, w := range want {
		a := cfg.Accounts[i]
		if a.Auth != w.auth || a.OAuthProvider != w.provider || a.OAuthTenant != w.tenant || a.Host != w.host {
			t.Errorf("account %s: auth %q provider %q tenant %q host %q; want %+v", a.Name, a.Auth, a.OAuthProvider, a.OAuthTenant, a.Host, w)
		}
	}
	if _, errOut, code := c.run("account", "set-password", "Work"); code != 1 || !strings.Contains(errOut, "signs in with Microsoft, not a password: run `sluice account login Work`") {
		t.Errorf("set-password of an OAuth2 account: %d %q", code, errOut)
	}
	if _, errOut, code := c.run("account", "login", "Old Gmail"); code != 1 || !strings.Contains(errOut, "signs in with a password") {
		t.Errorf("login of a password account: %d %q", code, errOut)
	}
	if _, errOut, code := c.run("account", "login", "Home", "--device"); code != 1 || !strings.Contains(errOut, "Google does not allow Gmail access") {
		t.Errorf("Google device flow: %d %q", code, errOut)
	}
	if _, errOut, code := c.run("account", "add", "imap", "Bad", "--preset", "gmail", "--user", "u", "--auth", "oauth2", "--provider", "yahoo"); code == 0 || !strings.Contains(errOut, "oauth_provider") {
		t.Errorf("a bad provider: %d %q", code, errOut)
	}
}

// oidcAccount adds an account that signs in at the test provider.
func oidcAccount(t *testing.T, c *cliEnv, p *oidctest.Provider, name string) {
	t.Helper()
	c.mustRun("account", "add", "imap", name, "--host", "127.0.0.1", "--port", "1", "--user", "alice@example.com",
		"--provider", "oidc", "--issuer", p.Issuer, "--client-id", p.ClientID, "--client-secret", p.ClientSecret)
}

// TestAccountLoginWithoutSluice: with no Sluice running the command line
// signs in itself, opening the browser from the user's environment.
func TestAccountLoginWithoutSluice(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newCLI(t)
	oidcAccount(t, c, p, "Self")
	c.browse = func(u string) error {
		go oidctest.Visit(u, nil, true)
		return nil
	}
	out := c.mustRun("account", "login", "Self")
	if !strings.Contains(out, "open this address in a browser") || !strings.Contains(out, p.Issuer) || !strings.Contains(out, "Signed in Self") {
		t.Errorf("login output:\n%s", out)
	}
	if c.opened.Load() != 1 {
		t.Errorf("browser opened %d times", c.opened.Load())
	}
	if _, err := secrets.Get("Self", secrets.RefreshToken); err != nil {
		t.Errorf("no refresh token in the keyring: %v", err)
	}
}

// TestAccountLoginThroughSluice: with Sluice running, `sluice status` says
// the account needs a sign-in, and `sluice account login` signs in
// through it; this process opens the browser, the running one does not.
func TestAccountLoginThroughSluice(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	c := newCLI(t)
	oidcAccount(t, c, p, "Daemon")
	var daemonOpened atomic.Int32
	a, err := app.New(app.Options{ConfigPath: c.cfg, DataDir: c.dat, OpenURL: func(string) error { daemonOpened.Add(1); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !control.Running(c.dat, time.Second) {
		if time.Now().After(deadline) {
			t.Fatal("Sluice did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for !strings.Contains(c.mustRun("status"), "sign-in needed") {
		if time.Now().After(deadline) {
			t.Fatalf("status never said sign-in needed:\n%s", c.mustRun("status"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out := c.mustRun("status"); !strings.Contains(out, "Daemon is not signed in (run `sluice account login Daemon`") {
		t.Errorf("status:\n%s", out)
	}
	c.browse = func(u string) error {
		go oidctest.Visit(u, nil, true)
		return nil
	}
	out := c.mustRun("account", "login", "Daemon")
	if !strings.Contains(out, "Signed in Daemon with 127.0.0.1. The running Sluice connects now.") {
		t.Errorf("login output:\n%s", out)
	}
	if c.opened.Load() != 1 || daemonOpened.Load() != 0 {
		t.Errorf("browser opened %d times here and %d times by Sluice; want once, here", c.opened.Load(), daemonOpened.Load())
	}
	st, err := control.NewClient(c.dat).LoginStatus(context.Background(), "Daemon")
	if err != nil || st.State != control.LoginDone {
		t.Errorf("login status %+v %v", st, err)
	}
	// The connector left "sign-in needed" (the server at port 1 is not
	// there, so it backs off instead).
	for strings.Contains(c.mustRun("status"), "sign-in needed") {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("still sign-in needed after signing in:\n%s", c.mustRun("status"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
