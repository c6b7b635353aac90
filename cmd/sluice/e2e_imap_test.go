//go:build unix

package main_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// TestIMAPAccountEndToEnd adds a real Dovecot account from the command line
// (TLS with the server's own CA, the password from a password command),
// tests it, and checks that mail delivered after start is held in focus and
// released at the check-in.
func TestIMAPAccountEndToEnd(t *testing.T) {
	srv := dovecottest.New(t, dovecottest.Options{})
	in := newInstance(t, beforeCheckin)
	pwFile := in.config + ".pw"
	if err := os.WriteFile(pwFile, []byte(srv.Password("alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := in.mustRun("account", "add", "imap", "Work mail", "--host", srv.Host, "--port", fmt.Sprint(srv.IMAPSPort),
		"--security", "tls", "--user", "alice", "--ca-file", srv.CAFile, "--password-command", "cat "+pwFile)
	if !strings.Contains(out, `Added imap account "Work mail"`) {
		t.Fatalf("account add: %q", out)
	}
	if out := in.mustRun("account", "test", "Work mail"); !strings.Contains(out, "Connected to 127.0.0.1 as alice") {
		t.Fatalf("account test: %q", out)
	}
	if out := in.mustRun("account", "list"); !strings.Contains(out, "Work mail") {
		t.Fatalf("account list: %q", out)
	}
	cfg, _ := os.ReadFile(in.config)
	if strings.Contains(string(cfg), srv.Password("alice")) {
		t.Fatal("the password reached the config file")
	}

	// A wrong password is an error in words, not a hang.
	bad := in.config + ".bad"
	os.WriteFile(bad, []byte("nope\n"), 0o600)
	in.mustRun("account", "add", "imap", "Wrong", "--host", srv.Host, "--port", fmt.Sprint(srv.IMAPSPort),
		"--user", "alice", "--ca-file", srv.CAFile, "--password-command", "cat "+bad)
	if _, errOut, code := in.run("account", "test", "Wrong"); code != 1 || !strings.Contains(errOut, "login failed") {
		t.Fatalf("account test with a wrong password: exit %d %q", code, errOut)
	}
	in.mustRun("account", "remove", "Wrong")

	in.start()
	// Wait until the connector is connected, then deliver.
	deadline := time.Now().Add(20 * time.Second)
	connected := func() bool {
		for _, l := range strings.Split(in.mustRun("status"), "\n") {
			if strings.Contains(l, "Work mail") && strings.Contains(l, "connected") {
				return true
			}
		}
		return false
	}
	for !connected() {
		if time.Now().After(deadline) {
			t.Fatalf("the IMAP account did not connect:\n%s\n%s", in.mustRun("status"), in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	raw := "From: Ann <ann@example.com>\r\nTo: alice@localhost\r\nSubject: Quarterly numbers\r\nMessage-ID: <q1@example.com>\r\nDate: Mon, 23 Nov 2026 10:59:58 +0100\r\n\r\nThe numbers are in.\r\n"
	if _, err := srv.Deliver("alice", "INBOX", []byte(raw), time.Now()); err != nil {
		t.Fatal(err)
	}
	for {
		items := append(in.items("held"), in.items("digest")...)
		if len(items) == 1 {
			it := items[0]
			if it.Subject != "Quarterly numbers" || it.FromAddr != "ann@example.com" || it.Account != "Work mail" || !strings.Contains(it.Snippet, "The numbers are in") {
				t.Fatalf("item: %+v", it)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail did not arrive:\n%s", in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
