//go:build unix

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// inFocus is Monday 2026-11-23, 09:30 in Berlin: inside the morning
// focus block, so mail is held.
const inFocus = "2026-11-23T09:30:00+01:00"

// phoneAppend saves a message into alice's folder over IMAP with the
// given INTERNALDATE, as a phone's mail app saves what it sent.
func phoneAppend(t *testing.T, srv *dovecottest.Server, folder, raw string, at time.Time) {
	t.Helper()
	if err := srv.AppendOverTLS("alice", folder, []byte(raw), at); err != nil {
		t.Fatal(err)
	}
}

type waitingJSON struct {
	ID       string    `json:"id"`
	Sender   string    `json:"sender"`
	Subject  string    `json:"subject"`
	Received time.Time `json:"received"`
	Due      time.Time `json:"due"`
	Overdue  bool      `json:"overdue"`
}

// TestRepliesEndToEnd: real Dovecot with a Sent folder. Two mails arrive
// during focus and are held; a reply to one is saved to Sent from the
// phone before the check-in; after the check-in only the other waits for
// a reply (`sluice replies`), until its reply is saved to Sent too. Both
// replies count within the promise in `sluice stats --json`.
func TestRepliesEndToEnd(t *testing.T) {
	srv := dovecottest.New(t, dovecottest.Options{})
	in := newInstance(t, inFocus)
	pwFile := in.config + ".pw"
	if err := os.WriteFile(pwFile, []byte(srv.Password("alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in.mustRun("account", "add", "imap", "Work mail", "--host", srv.Host, "--port", fmt.Sprint(srv.IMAPSPort),
		"--security", "tls", "--user", "alice", "--ca-file", srv.CAFile, "--password-command", "cat "+pwFile)
	in.start()
	waitOut := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s\n%s", what, in.mustRun("status"), in.logs)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitOut("the account and its Sent folder", func() bool {
		return strings.Contains(in.mustRun("status"), "your replies from Sent")
	})

	t0, _ := time.Parse(time.RFC3339, inFocus)
	mailFrom := func(name, id, subject string) string {
		return fmt.Sprintf("From: %s <%s@example.com>\r\nTo: alice@localhost\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nHi Alice\r\n",
			name, strings.ToLower(name), subject, id, t0.Format(time.RFC1123Z))
	}
	if _, err := srv.Deliver("alice", "INBOX", []byte(mailFrom("Ann", "a1@example.com", "Budget")), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Deliver("alice", "INBOX", []byte(mailFrom("Bob", "b1@example.com", "Offsite")), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	waitOut("two held mails", func() bool { return len(in.items("held")) == 2 })
	var bob string
	for _, it := range in.items("held") {
		if it.Subject == "Offsite" {
			bob = it.ID
		}
	}
	reply := func(to, subject string, at time.Time) string {
		return fmt.Sprintf("From: Alice <alice@localhost>\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <re-%d@localhost>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: %s\r\n\r\nDone.\r\n",
			to, subject, at.Unix(), to, to, at.Format(time.RFC1123Z))
	}
	// Answered from the phone while Sluice still holds it.
	appended := time.Now()
	phoneAppend(t, srv, "Sent", reply("b1@example.com", "Offsite", t0.Add(20*time.Minute)), t0.Add(20*time.Minute))
	waitOut("the held mail answered", func() bool {
		return strings.Contains(in.mustRun("explain", bob[:8]), "answered: you replied")
	})
	t.Logf("a reply appended to Sent answered its item after %s (IDLE on Sent; polled with `sluice explain` every 100 ms)", time.Since(appended).Round(time.Millisecond))
	in.mustRun("checkin")
	var waiting []waitingJSON
	replies := func() []waitingJSON {
		t.Helper()
		var out []waitingJSON
		if err := json.Unmarshal([]byte(in.mustRun("replies", "--json")), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	waiting = replies()
	if len(waiting) != 1 || waiting[0].Subject != "Budget" || waiting[0].Sender != "Ann <ann@example.com>" ||
		!waiting[0].Received.Equal(t0.Add(time.Minute)) || !waiting[0].Due.Equal(t0.Add(24*time.Hour+time.Minute)) || waiting[0].Overdue {
		t.Fatalf("waiting for a reply after the check-in: %+v, want only Ann's mail, due a day after it came", waiting)
	}
	if out := in.mustRun("replies"); !strings.Contains(out, "1 waiting for your reply") || !strings.Contains(out, "Budget") {
		t.Errorf("sluice replies:\n%s", out)
	}

	phoneAppend(t, srv, "Sent", reply("a1@example.com", "Budget", t0.Add(2*time.Hour)), t0.Add(2*time.Hour))
	waitOut("the reply to Ann", func() bool { return len(replies()) == 0 })
	if out := in.mustRun("status"); !strings.Contains(out, "Replies: you answer within 24 hours; nothing waits for your reply") {
		t.Errorf("status:\n%s", out)
	}
	var days []map[string]any
	if err := json.Unmarshal([]byte(in.mustRun("stats", "--json", "--days", "1")), &days); err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0]["RepliesOnTime"] != 2.0 || days[0]["RepliesLate"] != 0.0 || days[0]["WithinPromiseShare"] != 1.0 {
		t.Errorf("stats --json = %v, want 2 replies within the promise", days)
	}
	// Bob: 18 minutes; Ann: 1h59m. The median of two is their mean.
	if m, want := days[0]["MedianReplySeconds"], (18*60+119*60)/2.0; m != want {
		t.Errorf("median time to reply = %v s, want %v s", m, want)
	}
}

// TestRepliesDueOverWeekendAndDST: real Dovecot, the promise "1 working
// day". On Friday 23 October 2026 in Berlin (summer time ends on Sunday
// the 25th) a mail from Wednesday is overdue, and one from Friday
// afternoon falls due on Monday at the same time of day, in winter time.
func TestRepliesDueOverWeekendAndDST(t *testing.T) {
	const friday = "2026-10-23T14:00:00+02:00" // in the afternoon focus block: held
	srv := dovecottest.New(t, dovecottest.Options{})
	in := newInstance(t, friday)
	cfg, err := os.ReadFile(in.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in.config, append(cfg, "[promise]\nreply_within = \"1 working day\"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := in.config + ".pw"
	if err := os.WriteFile(pwFile, []byte(srv.Password("alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in.mustRun("account", "add", "imap", "Work mail", "--host", srv.Host, "--port", fmt.Sprint(srv.IMAPSPort),
		"--security", "tls", "--user", "alice", "--ca-file", srv.CAFile, "--password-command", "cat "+pwFile)
	in.start()
	// Mail already in INBOX at the first sync is the past: deliver after it.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(in.mustRun("status"), "your replies from Sent"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the account did not start watching:\n%s\n%s", in.mustRun("status"), in.logs)
		}
	}
	t0, _ := time.Parse(time.RFC3339, friday)
	wednesday := time.Date(2026, 10, 21, 10, 0, 0, 0, t0.Location())
	for _, m := range []struct {
		name, id string
		at       time.Time
	}{{"Ann", "a1@example.com", wednesday}, {"Bob", "b1@example.com", t0.Add(time.Minute)}} {
		raw := fmt.Sprintf("From: %s <%s@example.com>\r\nTo: alice@localhost\r\nSubject: from %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nHi\r\n",
			m.name, strings.ToLower(m.name), m.name, m.id, m.at.Format(time.RFC1123Z))
		if _, err := srv.Deliver("alice", "INBOX", []byte(raw), m.at); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(in.items("held")) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for two held mails:\n%s\n%s", in.mustRun("status"), in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	in.mustRun("checkin")
	var waiting []waitingJSON
	if err := json.Unmarshal([]byte(in.mustRun("replies", "--json")), &waiting); err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 10, 26, 14, 1, 0, 0, time.FixedZone("CET", 3600))
	if len(waiting) != 2 ||
		waiting[0].Subject != "from Ann" || !waiting[0].Due.Equal(wednesday.AddDate(0, 0, 1)) || !waiting[0].Overdue ||
		waiting[1].Subject != "from Bob" || !waiting[1].Due.Equal(monday) || waiting[1].Overdue {
		t.Fatalf("waiting for a reply: %+v\nwant Ann's due Thursday 10:00 and overdue, Bob's due Monday 14:01 CET", waiting)
	}
	if out := in.mustRun("replies"); !strings.Contains(out, "2 waiting for your reply (1 overdue, 1 due today)") {
		t.Errorf("sluice replies:\n%s", out)
	}
}
