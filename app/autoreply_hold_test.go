//go:build unix

package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// TestAutoReplyAndHoldAtDeliveryShareTheServer: the hold at delivery
// (issue 15) and the auto-reply (issue 17) run on one server through one
// mechanism. During a vacation both of Sluice's scripts are installed and
// Sluice's main script runs them; a message from a person is filed into
// the hold folder and answered once. Turning the auto-reply off leaves the
// hold in force; turning the hold off leaves the auto-reply.
func TestAutoReplyAndHoldAtDeliveryShareTheServer(t *testing.T) {
	srv := dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{}})
	dir := t.TempDir()
	cfg := holdConfig(t, srv, dir) + fmt.Sprintf("hold_at_delivery = true\nsieve_port = %d\n", srv.SievePort) +
		"\n[autoreply]\nenabled = true\ndays = 3\n"
	a, _ := runApp(t, dir, cfg, clock.Real{})
	state := func() string {
		return fmt.Sprintf("health %+v; auto-reply %+v", a.Status().Health, autoReplyState(a, "Work mail"))
	}
	inForce := func(hold, reply bool) func() bool {
		return func() bool {
			h := strings.Contains(state(), "held at delivery by Sieve")
			r := autoReplyState(a, "Work mail").State == string(sieve.StateActive)
			return h == hold && r == reply
		}
	}
	script := func(name string) string {
		b, _ := srv.SieveScript("alice", name)
		return string(b)
	}
	waitUntil(t, "the hold at delivery and the auto-reply in force", inForce(true, true), state)
	if act, _ := srv.ActiveSieveScript("alice"); act != sieve.ScriptMain {
		t.Errorf("active script %q, want Sluice's %q", act, sieve.ScriptMain)
	}
	main := script(sieve.ScriptMain)
	if !strings.Contains(main, `include :personal "`+sieve.ScriptVacation+`"`) || !strings.Contains(main, `include :personal "`+sieve.ScriptHold+`"`) {
		t.Fatalf("Sluice's main script does not run both:\n%s", main)
	}

	raw := "From: Carol <carol@example.org>\r\nTo: alice@example.net\r\nSubject: question\r\nMessage-ID: <c1@example.org>\r\n\r\nHello\r\n"
	if err := srv.DeliverLMTP("carol@example.org", []string{"alice@example.net"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if n := inFolder(t, srv, "Sluice/Held"); n != 1 {
		t.Errorf("%d in the hold folder after delivery, want 1 (INBOX %d)", n, inFolder(t, srv, "INBOX"))
	}
	if out, err := srv.Outbox(); err != nil || len(out) != 1 || !strings.Contains(out[0].Args, "carol@example.org") {
		t.Errorf("auto-replies %+v (%v), want one to carol", out, err)
	}

	// The auto-reply off: the hold stays on the server as it was.
	hold := script(sieve.ScriptHold)
	c := a.Config()
	c.AutoReply.Enabled = false
	if err := a.SetConfig(c); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the auto-reply off, the hold in force", func() bool {
		return autoReplyState(a, "Work mail").State == "off" && script(sieve.ScriptVacation) == ""
	}, state)
	if got := script(sieve.ScriptHold); got != hold || !strings.Contains(state(), "held at delivery by Sieve") {
		t.Errorf("the hold changed when the auto-reply went off (%s):\n%s", state(), got)
	}

	// The auto-reply on, the hold off: the auto-reply stays.
	c = a.Config()
	c.AutoReply.Enabled = true
	if err := a.SetConfig(c); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the auto-reply back", inForce(true, true), state)
	vacation := script(sieve.ScriptVacation)
	c = a.Config()
	c.Accounts[0].HoldOnServer, c.Accounts[0].HoldAtDelivery = false, false
	if err := a.SetConfig(c); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the hold script off", func() bool { return script(sieve.ScriptHold) == "" }, state)
	time.Sleep(time.Second) // nothing else may follow
	if got := script(sieve.ScriptVacation); got != vacation || autoReplyState(a, "Work mail").State != string(sieve.StateActive) {
		t.Errorf("the auto-reply changed when the hold went off (%s):\n%s", state(), got)
	}
	if act, _ := srv.ActiveSieveScript("alice"); act != sieve.ScriptMain {
		t.Errorf("active script %q after the hold went off, want %q", act, sieve.ScriptMain)
	}
}
