//go:build unix

package sieve

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

const replyText = "I read mail at 11:00 and 16:00 (Europe/Berlin). Urgent? Put URGENT in the subject."

func vacationSpec(c *Client, periods []Period) VacationSpec {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	return VacationSpec{
		Text:       replyText,
		Days:       2,
		Addresses:  []string{"alice@example.net"},
		Zone:       berlin,
		Vacations:  periods,
		Now:        clock.Real{}.Now(),
		Extensions: c.Capabilities().Sieve,
	}
}

func mustVacation(t *testing.T, c *Client, periods []Period) string {
	t.Helper()
	g, err := VacationScript(vacationSpec(c, periods))
	if err != nil {
		t.Fatal(err)
	}
	return g.Script
}

func outbox(t *testing.T, s *dovecottest.Server) []dovecottest.Sent {
	t.Helper()
	out, err := s.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVacationReplies(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	now := clock.Real{}.Now()
	if _, err := m.Apply(ctx(t), Desired{Vacation: mustVacation(t, c, []Period{{now.Add(-24 * time.Hour), now.Add(24 * time.Hour)}})}); err != nil {
		t.Fatal(err)
	}

	// A person gets exactly one reply, with the schedule's text.
	deliver(t, s, "bob@example.org", mail("Bob <bob@example.org>", "hello", "are you there?"))
	sent := outbox(t, s)
	if len(sent) != 1 {
		t.Fatalf("outbox holds %d replies after one message from a person, want 1%s", len(sent), s.LogTail(10))
	}
	r := sent[0]
	if to := r.Header("To"); !strings.Contains(to, "bob@example.org") {
		t.Errorf("reply To = %q", to)
	}
	if !strings.Contains(r.Args, "bob@example.org") {
		t.Errorf("reply sent to %q", r.Args)
	}
	if as := r.Header("Auto-Submitted"); !strings.HasPrefix(as, "auto-replied") {
		t.Errorf("reply Auto-Submitted = %q", as)
	}
	if !strings.Contains(strings.ReplaceAll(string(r.Raw), "\r\n", "\n"), replyText) {
		t.Errorf("reply lacks the text:\n%s", r.Raw)
	}

	// The same person again within Days: no second reply.
	deliver(t, s, "bob@example.org", mail("Bob <bob@example.org>", "hello again", "?"))
	// Lists, bulk mail and robots: none.
	deliver(t, s, "list-bounces@lists.example", mail("Carol <carol@example.org>", "[dev] release", "notes", "List-Id: Dev <dev.lists.example>"))
	deliver(t, s, "news@shop.example", mail("Shop <news@shop.example>", "sale", "50% off", "Precedence: bulk"))
	deliver(t, s, "noreply@service.example", mail("Service <noreply@service.example>", "your receipt", "thanks"))
	deliver(t, s, "robot@ci.example", mail("CI <robot@ci.example>", "build failed", "log", "Auto-Submitted: auto-generated"))
	deliver(t, s, "", mail("MAILER-DAEMON@example.org", "Undelivered Mail", "bounce"))
	if sent := outbox(t, s); len(sent) != 1 {
		t.Errorf("outbox holds %d replies, want still 1:", len(sent))
		for _, m := range sent {
			t.Logf("%s: %s", m.Args, m.Header("Subject"))
		}
	}
	// Every message was delivered: the auto-reply files nothing.
	if got := len(folder(t, s, "alice", "INBOX")); got != 7 {
		t.Errorf("INBOX holds %d messages, want 7", got)
	}

	// Outside every vacation: no reply, by the server's clock.
	if _, err := m.Apply(ctx(t), Desired{Vacation: mustVacation(t, c, []Period{{now.Add(48 * time.Hour), now.Add(96 * time.Hour)}})}); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "erin@example.org", mail("Erin <erin@example.org>", "hi", "hello"))
	if sent := outbox(t, s); len(sent) != 1 {
		t.Errorf("outbox holds %d replies after mail outside the vacation, want still 1", len(sent))
	}
}
