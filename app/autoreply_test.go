//go:build unix

package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// userScript is the Sieve script alice had before Sluice: her own rule,
// active.
const userScript = `require ["fileinto"];
# alice's own rules
if header :contains "subject" "zzz-test" { discard; stop; }
`

func autoReplyState(a *App, account string) control.AutoReplyAccount {
	if st := a.Status().AutoReply; st != nil {
		for _, acc := range st.Accounts {
			if acc.Account == account {
				return acc
			}
		}
	}
	return control.AutoReplyAccount{}
}

// TestAutoReplyOnTheServer: with [autoreply] on and a vacation today, Sluice
// installs its Sieve vacation script on the account's server (Dovecot with
// Pigeonhole, ManageSieve, LMTP delivery). The user's own active script
// is never replaced: until it includes Sluice's, `sluice status` says which
// lines to add and no one is answered; once it does, a person gets exactly
// one reply with the text made from the schedule, a second message from
// them gets none, a mailing list none. The user's script is intact, and
// turning the auto-reply off stops the answers and leaves Sluice's hold
// script (issue 15) as it was.
func TestAutoReplyOnTheServer(t *testing.T) {
	srv := dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{}})
	if err := srv.PutSieveScript("alice", "mine", userScript, true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	today := time.Now().In(berlin)
	cfg := fmt.Sprintf(`
[schedule]
template = "twice-a-day"
zone = "Europe/Berlin"
[[schedule.vacations]]
from = %q
to = %q
[urgent]
keywords = ["urgent"]
[autoreply]
enabled = true
days = 3
`, today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)) +
		aliceAccount(t, srv, dir, "Work") + fmt.Sprintf("sieve_port = %d\n", srv.SievePort)
	a, _ := runApp(t, dir, cfg, clock.Real{})

	waitState := func(want string) control.AutoReplyAccount {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := autoReplyState(a, "Work")
			if st.State == want {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("auto-reply state %+v, want %s%s", st, want, srv.LogTail(10))
			}
			a.auto.Kick()
			time.Sleep(50 * time.Millisecond)
		}
	}
	st := waitState("include-needed")
	if !strings.Contains(st.Detail, `"mine"`) || !strings.Contains(st.Detail, `include :personal "sluice";`) {
		t.Errorf("include-needed detail does not name the script and the line to add:\n%s", st.Detail)
	}
	auto := a.Status().AutoReply
	if want := "I read mail at 11:00 and 16:00 (Europe/Berlin). Urgent? Put URGENT in the subject."; auto.Text != want {
		t.Errorf("auto-reply text %q, want %q", auto.Text, want)
	}
	mail := func(from, subject string, extra ...string) []byte {
		return []byte("From: " + from + "\r\nTo: alice@example.net\r\nSubject: " + subject + "\r\nMessage-ID: <" +
			fmt.Sprint(time.Now().UnixNano()) + "@x>\r\n" + strings.Join(extra, "") + "\r\nHello\r\n")
	}
	deliver := func(from string, raw []byte) {
		t.Helper()
		if err := srv.DeliverLMTP(from, []string{"alice@example.net"}, raw); err != nil {
			t.Fatal(err)
		}
	}
	outbox := func() []dovecottest.Sent {
		t.Helper()
		out, err := srv.Outbox()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	deliver("bob@example.org", mail("Bob <bob@example.org>", "before the include"))
	if n := len(outbox()); n != 0 {
		t.Fatalf("%d replies while the user's script does not include Sluice's", n)
	}

	// The user adds the include; the next pass installs the auto-reply.
	withInclude := `require ["fileinto", "include"];` + strings.TrimPrefix(userScript, `require ["fileinto"];`) + `include :personal "sluice";` + "\n"
	if err := srv.PutSieveScript("alice", "mine", withInclude, true); err != nil {
		t.Fatal(err)
	}
	waitState("included")
	deliver("carol@example.org", mail("Carol <carol@example.org>", "question"))
	sent := outbox()
	if len(sent) != 1 || !strings.Contains(sent[0].Args, "carol@example.org") ||
		!strings.Contains(strings.ReplaceAll(string(sent[0].Raw), "\r\n", "\n"), auto.Text) {
		t.Fatalf("replies after one message from a person: %d %+v", len(sent), sent)
	}
	deliver("carol@example.org", mail("Carol <carol@example.org>", "another question"))
	deliver("dev-bounces@lists.example", mail("Dave <dave@example.org>", "[dev] notes", "List-Id: <dev.lists.example>\r\n"))
	if n := len(outbox()); n != 1 {
		t.Errorf("%d replies, want still 1 (the same sender again, and a list)", n)
	}
	if got, _ := srv.SieveScript("alice", "mine"); string(got) != withInclude {
		t.Errorf("the user's script changed:\n%s", got)
	}
	if act, _ := srv.ActiveSieveScript("alice"); act != "mine" {
		t.Errorf("active script %q, want the user's own", act)
	}

	// Sluice's hold at delivery (issue 15) has its script on the same
	// server: the auto-reply switches only its own.
	a.auto.mu.Lock()
	exts := a.auto.accounts["Work"].caps
	a.auto.mu.Unlock()
	hold, err := sieve.HoldScript(sieve.HoldSpec{Account: "Work", Folder: "Sluice/Held", Keyword: sieve.HeldKeyword, Extensions: exts})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.PutSieveScript("alice", sieve.ScriptHold, hold.Script, false); err != nil {
		t.Fatal(err)
	}

	// Off: the server stops answering.
	c := a.Config()
	c.AutoReply.Enabled = false
	if err := a.SetConfig(c); err != nil {
		t.Fatal(err)
	}
	waitState("off")
	deliver("erin@example.org", mail("Erin <erin@example.org>", "hello"))
	if n := len(outbox()); n != 1 {
		t.Errorf("%d replies after the auto-reply was turned off, want still 1", n)
	}
	if act, _ := srv.ActiveSieveScript("alice"); act != "mine" {
		t.Errorf("active script %q after turning off, want the user's own", act)
	}
	if got, _ := srv.SieveScript("alice", sieve.ScriptHold); string(got) != hold.Script {
		t.Errorf("turning the auto-reply off changed Sluice's hold script:\n%s", got)
	}
	main, _ := srv.SieveScript("alice", sieve.ScriptMain)
	if !strings.Contains(string(main), `include :personal "`+sieve.ScriptHold+`"`) || strings.Contains(string(main), sieve.ScriptVacation) {
		t.Errorf("Sluice's main script after the auto-reply went off, want the hold only:\n%s", main)
	}
}
