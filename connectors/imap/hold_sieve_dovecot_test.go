//go:build unix

package imap

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Holding at delivery against Dovecot with Pigeonhole, ManageSieve and
// LMTP delivery (Debian dovecot-sieve, dovecot-managesieved, dovecot-lmtpd).

func sieveHoldOptions(s *dovecottest.Server) Options {
	opt := holdOptions(s, "work")
	opt.Hold.Sieve = &SieveHold{Port: s.SievePort, Rules: func() SieveRules {
		return SieveRules{VIPs: []string{"boss@acme.com"}}
	}}
	return opt
}

// fromBoss is the gate's decision in these tests: the VIP breaks through.
func fromBoss(it model.Item) model.State {
	if it.FromAddr == "boss@acme.com" {
		return model.StateReleased
	}
	return model.StateHeld
}

func lmtp(t *testing.T, s *dovecottest.Server, from, subject string) {
	t.Helper()
	raw := "From: " + from + "\r\nTo: alice@example.net\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.org>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\nhello\r\n"
	if err := s.DeliverLMTP(from, []string{"alice@example.net"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
}

// TestDovecotHoldAtDelivery: while the gate holds, mail delivered never
// shows in INBOX (the script files it into the hold folder, marked
// $SluiceHeld), the VIP's stays there, a release brings the held mail
// back without the mark, and when the gate stops holding the script comes
// off.
func TestDovecotHoldAtDelivery(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{}})
	sink := newPlacingSink(t)
	sink.decide = fromBoss
	c := startHold(t, sieveHoldOptions(s), sink, holding())
	waitFor(t, 20*time.Second, "connected, the hold script in force", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthConnected && strings.Contains(h.Detail, "held at delivery by Sieve")
	})
	if a, err := s.ActiveSieveScript("alice"); err != nil || a != sieve.ScriptMain {
		t.Fatalf("active script = %q, %v; want %q", a, err, sieve.ScriptMain)
	}
	cl := client(t, s)
	lmtp(t, s, "bob@example.org", "lunch during focus")
	lmtp(t, s, "boss@acme.com", "from the boss")
	waitServer(t, 15*time.Second, "both items", func() bool { return sink.count() == 2 }, func() string { return strings.Join(sink.subjects(), ", ") })
	held, inbox := contents(t, cl, "Sluice/Held"), contents(t, cl, "INBOX")
	if _, ok := held["lunch.during.focus@example.org"]; !ok || len(held) != 1 {
		t.Errorf("hold folder = %v", slices.Collect(maps.Keys(held)))
	}
	if m := held["lunch.during.focus@example.org"]; !slices.Contains(m.Flags, sieve.HeldKeyword) {
		t.Errorf("held mail has flags %v, want %s", m.Flags, sieve.HeldKeyword)
	}
	if _, ok := inbox["from.the.boss@example.org"]; !ok || len(inbox) != 1 {
		t.Errorf("INBOX = %v", slices.Collect(maps.Keys(inbox)))
	}
	// The note says the server held it: it never was in INBOX for the IMAP
	// path to move.
	if notes := sink.notesOf("lunch during focus"); !slices.Equal(notes, []string{model.MailHeldPrefix + "Sluice/Held"}) {
		t.Errorf("notes = %q", notes)
	}

	sink.checkin()
	if n, err := c.Release(ctx(t), "check-in"); err != nil || n != 1 {
		t.Fatalf("Release = %d, %v", n, err)
	}
	inbox = contents(t, cl, "INBOX")
	if m, ok := inbox["lunch.during.focus@example.org"]; !ok || slices.Contains(m.Flags, sieve.HeldKeyword) {
		t.Errorf("released mail: in INBOX %v, flags %v (want it there, without %s)", ok, m.Flags, sieve.HeldKeyword)
	}

	// The gate stops holding (a check-in window): the script comes off and
	// mail stays in INBOX.
	sink.decide = func(model.Item) model.State { return model.StateReleased }
	c.SetHold(context.Background(), model.HoldInfo{Since: time.Now()})
	waitFor(t, 20*time.Second, "the script off", func() bool {
		a, _ := s.ActiveSieveScript("alice")
		return a == "" && strings.Contains(sink.lastHealth().Detail, "Sieve holds at delivery while holding")
	})
	lmtp(t, s, "bob@example.org", "in the window")
	waitFor(t, 15*time.Second, "the item", func() bool { return sink.count() == 3 })
	if _, ok := contents(t, cl, "INBOX")["in.the.window@example.org"]; !ok {
		t.Error("mail delivered in the window is not in INBOX")
	}
}

// TestDovecotHoldAtDeliveryKeepsUserScript: the user's own active script
// is left exactly as it was and stays active; health says which line to
// add, and the IMAP path holds meanwhile.
func TestDovecotHoldAtDeliveryKeepsUserScript(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{}})
	const mine = "require [\"fileinto\"];\n# my filters\nif header :contains \"subject\" \"[list]\" {\n  fileinto \"Lists\";\n}\n"
	if err := s.PutSieveScript("alice", "mine", mine, true); err != nil {
		t.Fatal(err)
	}
	sink := newPlacingSink(t)
	sink.decide = fromBoss
	startHold(t, sieveHoldOptions(s), sink, holding())
	waitFor(t, 20*time.Second, "the reason in health", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthConnected && strings.Contains(h.Detail, `your active script "mine" does not include Sluice's`) &&
			strings.Contains(h.Detail, "holding over IMAP")
	})
	if b, err := s.SieveScript("alice", "mine"); err != nil || string(b) != mine {
		t.Errorf("the user's script changed: %q, %v", b, err)
	}
	if a, _ := s.ActiveSieveScript("alice"); a != "mine" {
		t.Errorf("active script = %q, want the user's", a)
	}
	cl := client(t, s)
	lmtp(t, s, "bob@example.org", "held over IMAP")
	waitServer(t, 15*time.Second, "the message moved over IMAP", func() bool {
		_, ok := contents(t, cl, "Sluice/Held")["held.over.IMAP@example.org"]
		return ok
	}, func() string { return strings.Join(sink.subjects(), ", ") })
	waitFor(t, 5*time.Second, "the note", func() bool {
		return slices.Equal(sink.notesOf("held over IMAP"), []string{model.MailMovedPrefix + "Sluice/Held"})
	})
}
