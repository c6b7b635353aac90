package ui

import (
	"context"
	"net"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
)

// countingBackend counts the settings saves that reach the running Sluice.
type countingBackend struct {
	Backend
	saves int
}

func (c *countingBackend) SetConfig(ctx context.Context, cfg config.Config) error {
	c.saves++
	return c.Backend.SetConfig(ctx, cfg)
}

// TestSaveOfANewPasswordReachesSluice: typing only a new password into an
// account and pressing Save still hands the (unchanged) config to the
// running Sluice over the control API; that SetConfig is what makes an
// account stopped by a refused login sign in again at once (tested against
// Dovecot in app/cli).
func TestSaveOfANewPasswordReachesSluice(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := testConfig()
	cfg.Accounts = []config.Account{{Name: "Work", Kind: "imap", Host: "127.0.0.1", Port: port, Security: "tls", Username: "me"}}
	f := newFixture(t, cfg)
	cb := &countingBackend{Backend: f.ui.c}
	f.ui.c = cb
	s, _ := openSettings(t, f, TabAccounts)
	s.accounts.list.Select(1)
	if !s.save.Disabled() {
		t.Fatal("Save is enabled before any change")
	}
	test.Type(find(s.accounts.editor, func(e *widget.Entry) bool { return e.Password }), "fixed-password")
	if s.save.Disabled() {
		t.Fatalf("Save is disabled after typing a new password: %q", s.errs.Text)
	}
	test.Tap(s.save)
	if cb.saves != 1 {
		t.Errorf("Save reached the running Sluice %d times, want once", cb.saves)
	}
}
