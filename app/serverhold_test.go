//go:build unix

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// inFolder counts a folder's messages in the test server's Maildir.
func inFolder(t *testing.T, s *dovecottest.Server, folder string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"cur", "new"} {
		es, err := os.ReadDir(filepath.Join(s.MaildirPath("alice", folder), sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		n += len(es)
	}
	return n
}

// aliceAccount is the [[accounts]] table of alice's IMAP account on the
// test server, named name, with her password in a file under dir.
func aliceAccount(t *testing.T, s *dovecottest.Server, dir, name string) string {
	t.Helper()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(s.Password("alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
[[accounts]]
name = %q
kind = "imap"
host = %q
port = %d
security = "tls"
ca_file = %q
username = "alice"
password_command = "cat %s"
`, name, s.Host, s.IMAPSPort, s.CAFile, pw)
}

// holdConfig is a config whose vacation holds everything today, with one
// IMAP account on the test server that holds on the server.
func holdConfig(t *testing.T, s *dovecottest.Server, dir string) string {
	t.Helper()
	today := time.Now().UTC()
	return fmt.Sprintf(`
[schedule]
template = "twice-a-day"
zone = "UTC"
vacations = [ { from = %q, to = %q } ]
`, today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)) +
		aliceAccount(t, s, dir, "Work mail") + "hold_on_server = true\n"
}

// TestServerHoldFollowsTheGate: with the real gate and store, mail held
// during a vacation leaves INBOX on the server, a check-in brings it back
// in one batch, `sluice account release` does too, each item's decision
// log says where its mail went, and turning the switch off releases first
// and says so.
func TestServerHoldFollowsTheGate(t *testing.T) {
	s := dovecottest.New(t, dovecottest.Options{})
	dir := t.TempDir()
	a, _ := runApp(t, dir, holdConfig(t, s, dir), clock.Real{})
	health := func() string { return fmt.Sprintf("%+v", a.Status().Health) }
	waitUntil(t, "the account connected and holding", func() bool {
		for _, h := range a.Status().Health {
			if h.Account == "Work mail" && h.State == model.HealthConnected && strings.Contains(h.Detail, "holding on server: 0 in Sluice/Held") {
				return true
			}
		}
		return false
	}, health)

	for i := range 3 {
		s.DeliverNote(t, "alice", fmt.Sprintf("n%d@example.com", i))
	}
	waitUntil(t, "3 held on the server", func() bool { return inFolder(t, s, "Sluice/Held") == 3 && inFolder(t, s, "INBOX") == 0 }, health)
	held := waitItems(t, a, model.StateHeld, 3)
	waitUntil(t, "the decision logs", func() bool {
		it, err := a.Item(held[0].ID)
		return err == nil && strings.HasPrefix(model.MailTrail(it.Log, time.UTC), "moved to Sluice/Held ")
	}, health)
	waitUntil(t, "the count in health", func() bool { return strings.Contains(health(), "holding on server: 3 in Sluice/Held") }, health)

	c, err := a.Checkin()
	if err != nil || c.Count != 3 {
		t.Fatalf("check-in: %+v, %v", c, err)
	}
	waitUntil(t, "the batch back in INBOX", func() bool { return inFolder(t, s, "INBOX") == 3 && inFolder(t, s, "Sluice/Held") == 0 }, health)
	waitUntil(t, "the notes of the release", func() bool {
		it, _ := a.Item(held[0].ID)
		trail := model.MailTrail(it.Log, time.UTC)
		return strings.Contains(trail, "moved to Sluice/Held ") && strings.Contains(trail, " · back in INBOX ")
	}, health)

	// Still a vacation: new mail is held again, the released mail is not.
	s.DeliverNote(t, "alice", fmt.Sprintf("n%d@example.com", 3))
	waitUntil(t, "the new message held", func() bool { return inFolder(t, s, "Sluice/Held") == 1 }, health)
	time.Sleep(time.Second)
	if n := inFolder(t, s, "INBOX"); n != 3 {
		t.Errorf("INBOX has %d messages, want the 3 released", n)
	}
	r, err := a.ReleaseAccount("Work mail")
	if err != nil || r.Count != 1 || r.Folder != "Sluice/Held" {
		t.Fatalf("release by hand: %+v, %v", r, err)
	}

	// Turning the switch off releases first, and says so.
	s.DeliverNote(t, "alice", fmt.Sprintf("n%d@example.com", 4))
	waitUntil(t, "the newest message held", func() bool { return inFolder(t, s, "Sluice/Held") == 1 }, health)
	cfg := a.Config()
	cfg.Accounts[0].HoldOnServer = false
	if err := a.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if n := inFolder(t, s, "Sluice/Held"); n != 0 || inFolder(t, s, "INBOX") != 5 {
		t.Errorf("after switching off: %d held, %d in INBOX", n, inFolder(t, s, "INBOX"))
	}
	if !slices.ContainsFunc(a.Status().Notices, func(n string) bool {
		return strings.Contains(n, "Work mail: 1 message back in INBOX from Sluice/Held (hold on server turned off)")
	}) {
		t.Errorf("notices = %q", a.Status().Notices)
	}
	if _, err := a.ReleaseAccount("Work mail"); err == nil || !strings.Contains(err.Error(), "does not hold mail on the server") {
		t.Errorf("release with the switch off: %v", err)
	}
}

// TestServerHoldReleaseOnQuit: quitting with release_on_quit moves
// everything back first and says so; without it, held mail stays held.
func TestServerHoldReleaseOnQuit(t *testing.T) {
	s := dovecottest.New(t, dovecottest.Options{})
	dir := t.TempDir()
	a, stop := runApp(t, dir, holdConfig(t, s, dir)+"release_on_quit = true\n", clock.Real{})
	health := func() string { return fmt.Sprintf("%+v", a.Status().Health) }
	waitUntil(t, "connected", func() bool { return strings.Contains(health(), "holding on server: 0") }, health)
	s.DeliverNote(t, "alice", fmt.Sprintf("n%d@example.com", 1))
	waitUntil(t, "held on the server", func() bool { return inFolder(t, s, "Sluice/Held") == 1 }, health)
	if said := a.PrepareQuit(); said != "Work mail: 1 message back in INBOX from Sluice/Held" {
		t.Errorf("PrepareQuit said %q", said)
	}
	if inFolder(t, s, "INBOX") != 1 || inFolder(t, s, "Sluice/Held") != 0 {
		t.Errorf("after quitting: INBOX %d, held %d", inFolder(t, s, "INBOX"), inFolder(t, s, "Sluice/Held"))
	}
	// Nothing more is held until Sluice runs again.
	s.DeliverNote(t, "alice", fmt.Sprintf("n%d@example.com", 2))
	time.Sleep(1500 * time.Millisecond)
	if n := inFolder(t, s, "Sluice/Held"); n != 0 {
		t.Errorf("%d held after the release on quit", n)
	}
	stop()
}
