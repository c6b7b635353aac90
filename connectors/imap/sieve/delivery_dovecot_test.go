//go:build unix

package sieve

import (
	"slices"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
)

func TestHoldAtDelivery(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	spec := holdSpec(c)
	spec.Until = clock.Real{}.Now().Add(time.Hour)
	if _, err := m.Apply(ctx(t), Desired{Hold: mustHold(t, spec)}); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "bob@example.org", mail("Bob <bob@example.org>", "lunch?", "see you"))
	deliver(t, s, "carol@example.org", mail("carol@example.org", "report", "the numbers"))
	deliver(t, s, "boss@acme.com", mail("The Boss <boss@acme.com>", "quick one", "hi"))
	deliver(t, s, "dave@example.org", mail("dave@example.org", "URGENT: server down", "help"))
	deliver(t, s, "erin@example.org", mail("erin@example.org", "a question", "this is urgent, sorry"))
	deliver(t, s, "frank@example.org", mail("frank@example.org", "non-urgent", "later"))
	deliver(t, s, "gina@example.org", mail("gina@example.org", "fire", "hi", "X-Priority: 1 (Highest)"))

	held := folder(t, s, "alice", "Sluice/Held")
	if got := subjects(held); !slices.Equal(got, []string{"lunch?", "report"}) {
		t.Errorf("held = %q, want lunch? and report", got)
	}
	for _, m := range held {
		if !m.hasFlag(HeldKeyword) || m.hasFlag(`\Seen`) {
			t.Errorf("held %q has flags %v, want %s and not \\Seen", m.Subject, m.Flags, HeldKeyword)
		}
	}
	// "non-urgent" is a substring match in Sieve: it stays in INBOX, the
	// safe side of Sluice's whole-word rule.
	want := []string{"URGENT: server down", "a question", "fire", "non-urgent", "quick one"}
	inbox := folder(t, s, "alice", "INBOX")
	if got := subjects(inbox); !slices.Equal(got, want) {
		t.Errorf("INBOX = %q, want %q", got, want)
	}
	for _, m := range inbox {
		if m.hasFlag(HeldKeyword) {
			t.Errorf("INBOX message %q carries %s", m.Subject, HeldKeyword)
		}
	}

	// Switched off, new mail lands in INBOX.
	if _, err := m.Remove(ctx(t)); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "bob@example.org", mail("Bob <bob@example.org>", "after focus", "hi"))
	if got := subjects(folder(t, s, "alice", "INBOX")); !slices.Contains(got, "after focus") {
		t.Errorf("INBOX after switching off = %q", got)
	}
	if got := len(folder(t, s, "alice", "Sluice/Held")); got != 2 {
		t.Errorf("hold folder holds %d, want still 2", got)
	}

	// A script whose check-in has passed holds nothing, by the server's
	// own clock.
	spec.Until = clock.Real{}.Now().Add(-time.Minute)
	if _, err := m.Apply(ctx(t), Desired{Hold: mustHold(t, spec)}); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "bob@example.org", mail("Bob <bob@example.org>", "after the check-in", "hi"))
	if got := subjects(folder(t, s, "alice", "INBOX")); !slices.Contains(got, "after the check-in") {
		t.Errorf("mail after Until was held; INBOX = %q", got)
	}
}
