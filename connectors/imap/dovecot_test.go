//go:build unix

package imap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// Integration tests against a real Dovecot (Debian dovecot-imapd) that the
// harness starts on 127.0.0.1 with its own users, Maildirs and a freshly
// generated self-signed certificate, trusted through CAFile.

func startDovecot(t *testing.T) *dovecottest.Server {
	t.Helper()
	t.Parallel()
	return dovecottest.New(t, dovecottest.Options{})
}

// dovecotOptions connects as alice over implicit TLS.
func dovecotOptions(s *dovecottest.Server, account string) Options {
	return Options{
		Account: account, Host: s.Host, Port: s.IMAPSPort, Security: SecurityTLS, CAFile: s.CAFile,
		Username: "alice", Password: func(context.Context) (string, error) { return s.Password("alice"), nil },
		BackoffBase: 50 * time.Millisecond, BackoffCap: 500 * time.Millisecond,
		CommandTimeout: 10 * time.Second, DialTimeout: 5 * time.Second,
		PollInterval: 200 * time.Millisecond,
	}
}

func deliver(t *testing.T, s *dovecottest.Server, folder, raw string, at time.Time) {
	t.Helper()
	if _, err := s.Deliver("alice", folder, []byte(raw), at); err != nil {
		t.Fatal(err)
	}
}

// seenFlags counts messages Dovecot has marked \Seen (flag S in a Maildir
// file name's info part).
func seenFlags(t *testing.T, s *dovecottest.Server, folder string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"cur", "new"} {
		entries, _ := os.ReadDir(filepath.Join(s.MaildirPath("alice", folder), sub))
		for _, e := range entries {
			if _, info, ok := strings.Cut(e.Name(), ":2,"); ok && strings.Contains(info, "S") {
				n++
			}
		}
	}
	return n
}

func TestDovecotFirstSyncThenIdlePush(t *testing.T) {
	s := startDovecot(t)
	for i := 0; i < 3; i++ {
		deliver(t, s, "INBOX", mail(fmt.Sprintf("old%d@x", i), fmt.Sprintf("old %d", i), "archive"), time.Now().Add(-time.Hour))
	}
	sink := newSink(t)
	start(t, dovecotOptions(s, "work"), sink)
	h := waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	if h.Detail != "watching INBOX (IDLE)" {
		t.Errorf("health detail %q", h.Detail)
	}
	cur, ok := sink.cursor("work", "INBOX")
	if !ok || cur.next != 4 || cur.modseq == 0 || cur.validity == 0 {
		t.Fatalf("cursor = %+v, %v; want next 4 with a HIGHESTMODSEQ (CONDSTORE)", cur, ok)
	}
	if sink.count() != 0 {
		t.Fatalf("first sync imported %d items, want 0", sink.count())
	}

	sent := time.Now()
	deliver(t, s, "INBOX", mail("new@x", "=?koi8-r?B?8NLJ18XU?=", "Hello\n\nOn Mon, Alice wrote:\n> old"), time.Time{})
	waitFor(t, 10*time.Second, "the pushed item", func() bool { return sink.count() == 1 })
	t.Logf("delivery → item under IDLE: %v", time.Since(sent).Round(time.Millisecond))
	it, _ := sink.bySubject("Привет")
	if it.Subject != "Привет" || it.Snippet != "Hello" || it.Channel != "INBOX" || it.Received.IsZero() {
		t.Errorf("item = %+v", it)
	}
	if n := seenFlags(t, s, "INBOX"); n != 0 {
		t.Errorf("%d messages marked \\Seen; the connector must only peek", n)
	}
}

// TestDovecotCorpusAll imports every awkward message of testdata/corpus
// through Dovecot: each yields an item, and the header fields read over IMAP
// match ParseMessage on the raw file.
func TestDovecotCorpusAll(t *testing.T) {
	s := startDovecot(t)
	msgs := corpus(t)
	var names []string
	for n := range msgs {
		names = append(names, n)
	}
	slices.Sort(names)
	want := map[string]Message{}
	for _, n := range names {
		if _, err := s.Deliver("alice", "INBOX", msgs[n], time.Time{}); err != nil {
			t.Fatal(err)
		}
		want[n] = ParseMessage(msgs[n])
	}
	sink := newSink(t)
	opt := dovecotOptions(s, "acct")
	opt.Initial.Mode = InitialAll
	opt.FetchBatch = 25
	start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 30*time.Second)
	if sink.count() != len(names) {
		t.Fatalf("imported %d items from %d messages", sink.count(), len(names))
	}
	// Dovecot numbers the files of new/ in directory order, so match items
	// to files by what was read, as multisets.
	key := func(subject, name, addr, thread string) string {
		return fmt.Sprintf("%q %q <%s> %q", subject, name, addr, thread)
	}
	var got, exp []string
	snippets := map[string]string{}
	for _, it := range sink.Items() {
		k := key(it.Subject, it.FromName, it.FromAddr, it.Thread)
		got = append(got, k)
		snippets[k] = it.Snippet
	}
	for _, n := range names {
		w := want[n]
		// The items are as the gate stores them: compare cleaned text.
		k := key(model.CleanName(w.Subject), model.CleanName(w.FromName), model.CleanName(w.FromAddr), model.CleanKey(w.Thread()))
		exp = append(exp, k)
		if sn, ok := snippets[k]; ok && sn != model.CleanSnippet(w.Snippet) {
			t.Logf("%s: snippet over IMAP %q, from the raw file %q", n, sn, model.CleanSnippet(w.Snippet))
		}
	}
	for _, k := range exp {
		if i := slices.Index(got, k); i >= 0 {
			got = slices.Delete(got, i, i+1)
		} else {
			t.Errorf("no item over IMAP reads like the raw file: %s", k)
		}
	}
	for _, k := range got {
		t.Errorf("item over IMAP matches no raw file: %s", k)
	}
}

func TestDovecotPolling(t *testing.T) {
	s := startDovecot(t)
	sink := newSink(t)
	opt := dovecotOptions(s, "acct")
	opt.DisableIdle = true
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	if !strings.Contains(h.Detail, "polling every 200ms") {
		t.Errorf("health detail %q", h.Detail)
	}
	deliver(t, s, "INBOX", mail("p@x", "polled", "b"), time.Time{})
	waitFor(t, 10*time.Second, "polled item", func() bool { return sink.count() == 1 })
}

// TestDovecotUIDValidityChange: the server gives INBOX a new UIDVALIDITY;
// what the store holds is not duplicated, mail that arrives afterwards is
// picked up, and the archive from before the account was added stays out.
func TestDovecotUIDValidityChange(t *testing.T) {
	s := startDovecot(t)
	deliver(t, s, "INBOX", mail("archive@x", "archive", "a"), time.Now().Add(-72*time.Hour))
	sink := newSink(t)
	r := start(t, dovecotOptions(s, "acct"), sink)
	waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	deliver(t, s, "INBOX", mail("b@x", "B", "b"), time.Time{})
	deliver(t, s, "INBOX", mail("", "no message-id", "c"), time.Time{})
	waitFor(t, 10*time.Second, "two items", func() bool { return sink.count() == 2 })
	before, _ := sink.cursor("acct", "INBOX")

	nv, err := s.ChangeUIDValidity("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "INBOX", mail("d@x", "D", "d"), time.Time{})
	r.c.Wake()
	waitFor(t, 10*time.Second, "cursor with the new UIDVALIDITY", func() bool {
		cur, _ := sink.cursor("acct", "INBOX")
		return cur.validity == nv && sink.count() == 3
	})
	if got, want := sortedSubjects(sink), []string{"B", "D", "no message-id"}; !slices.Equal(got, want) {
		t.Errorf("items = %v, want %v (old UIDVALIDITY %d, new %d)", got, want, before.validity, nv)
	}
	deliver(t, s, "INBOX", mail("e@x", "E", "e"), time.Time{})
	waitFor(t, 10*time.Second, "item after the change", func() bool { return sink.count() == 4 })
}

// TestDovecotRestartDuringIdle: the server goes away while the connector
// idles; mail delivered meanwhile arrives after the reconnect, exactly once.
func TestDovecotRestartDuringIdle(t *testing.T) {
	s := startDovecot(t)
	sink := newSink(t)
	start(t, dovecotOptions(s, "acct"), sink)
	waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	deliver(t, s, "INBOX", mail("1@x", "one", "1"), time.Time{})
	waitFor(t, 10*time.Second, "first item", func() bool { return sink.count() == 1 })

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, sink, model.HealthBackingOff, 10*time.Second)
	t.Logf("while down: %s", h.Detail)
	deliver(t, s, "INBOX", mail("2@x", "two", "2"), time.Time{})
	deliver(t, s, "INBOX", mail("3@x", "three", "3"), time.Time{})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "items delivered while down", func() bool { return sink.count() == 3 })
	waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	deliver(t, s, "INBOX", mail("4@x", "four", "4"), time.Time{})
	waitFor(t, 10*time.Second, "item after the restart", func() bool { return sink.count() == 4 })
	states := sink.healthStates()
	if i := slices.Index(states, model.HealthBackingOff); i < 0 || !slices.Contains(states[i:], model.HealthConnected) {
		t.Errorf("health went %v, want backing-off then connected", states)
	}
	if n := sink.Offered(); n != 4 {
		t.Errorf("%d items offered to the sink for 4 messages; nothing may be fetched twice", n)
	}
}

// TestDovecotWrongPassword: auth-failed health, one login attempt (Dovecot's
// log says so), no retry loop; Wake with the right password recovers.
func TestDovecotWrongPassword(t *testing.T) {
	s := startDovecot(t)
	var pw atomic.Value
	pw.Store("wrong")
	opt := dovecotOptions(s, "acct")
	opt.Folders = []string{"INBOX", "Sent", "Trash"}
	opt.Password = func(context.Context) (string, error) { return pw.Load().(string), nil }
	sink := newSink(t)
	r := start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthAuthFailed, 10*time.Second)
	if !strings.Contains(h.Detail, "login failed: NO [AUTHENTICATIONFAILED]") {
		t.Errorf("health detail %q", h.Detail)
	}
	readLog := func() string {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
		return string(b)
	}
	waitFor(t, 5*time.Second, "Dovecot to log the failed login", func() bool { return strings.Contains(readLog(), "auth failed") })
	time.Sleep(500 * time.Millisecond) // ten backoff periods
	if n := strings.Count(readLog(), "auth failed"); n != 1 {
		t.Errorf("Dovecot logged %d failed logins, want 1 (no retry loop, one for all three folders)", n)
	}
	pw.Store(s.Password("alice"))
	r.c.Wake()
	h = waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	if h.Detail != "watching INBOX, Sent, Trash (IDLE)" {
		t.Errorf("health detail %q", h.Detail)
	}
}

// TestDovecotCertificates: the self-signed certificate is refused unless its
// CA is configured, with a hint; STARTTLS and (loopback) plaintext work.
func TestDovecotCertificates(t *testing.T) {
	s := startDovecot(t)
	ctx := context.Background()
	test := func(edit func(*Options)) error {
		opt := dovecotOptions(s, "acct")
		edit(&opt)
		c, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		return c.Test(ctx)
	}
	if err := test(func(*Options) {}); err != nil {
		t.Errorf("TLS with the CA: %v", err)
	}
	err := test(func(o *Options) { o.CAFile = "" })
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") || !strings.Contains(err.Error(), "set ca_file") {
		t.Errorf("TLS without the CA: %v, want an unknown-authority error with a hint", err)
	}
	if err := test(func(o *Options) { o.Port, o.Security = s.IMAPPort, SecurityStartTLS }); err != nil {
		t.Errorf("STARTTLS with the CA: %v", err)
	}
	if err := test(func(o *Options) { o.Port, o.Security, o.CAFile = s.IMAPPort, SecurityStartTLS, "" }); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("STARTTLS without the CA: %v", err)
	}
	if err := test(func(o *Options) { o.Port, o.Security, o.AllowInsecure = s.IMAPPort, SecurityInsecure, true }); err != nil {
		t.Errorf("plaintext to loopback: %v", err)
	}
	if err := test(func(o *Options) { o.Host = "localhost" }); err != nil {
		t.Errorf("TLS to localhost: %v", err)
	}

	opt := dovecotOptions(s, "acct")
	opt.CAFile = ""
	sink := newSink(t)
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthBackingOff, 10*time.Second)
	if !strings.Contains(h.Detail, "unknown authority") {
		t.Errorf("health detail %q", h.Detail)
	}
}

// TestDovecotFolderDisappears: a watched folder is deleted on the server;
// health says so and the other folder keeps delivering.
func TestDovecotFolderDisappears(t *testing.T) {
	s := startDovecot(t)
	if err := s.CreateFolder("alice", "Work"); err != nil {
		t.Fatal(err)
	}
	opt := dovecotOptions(s, "acct")
	opt.Folders = []string{"INBOX", "Work"}
	sink := newSink(t)
	r := start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	deliver(t, s, "Work", mail("w@x", "work 1", "w"), time.Time{})
	waitFor(t, 10*time.Second, "Work item", func() bool { return sink.count() == 1 })

	if err := s.DeleteFolder("alice", "Work"); err != nil {
		t.Fatal(err)
	}
	r.c.Wake() // Dovecot notices the deletion on the next command
	waitFor(t, 10*time.Second, "health naming the missing folder", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthBackingOff && strings.Contains(h.Detail, `folder "Work" not found`)
	})
	if h := sink.lastHealth(); !strings.Contains(h.Detail, "watching INBOX") || h.Until.IsZero() {
		t.Errorf("health %+v, want it to say INBOX is still watched and when Work is retried", h)
	}
	deliver(t, s, "INBOX", mail("i@x", "inbox 1", "i"), time.Time{})
	waitFor(t, 10*time.Second, "INBOX item", func() bool { return sink.count() == 2 })

	// The folder comes back (same name, new UIDVALIDITY): it is watched again.
	if err := s.CreateFolder("alice", "Work"); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "Work", mail("w2@x", "work 2", "w"), time.Time{})
	waitFor(t, 10*time.Second, "Work item after it came back", func() bool { return sink.count() == 3 })
	waitHealth(t, sink, model.HealthConnected, 10*time.Second)
}

func TestDovecotTestErrors(t *testing.T) {
	s := startDovecot(t)
	opt := dovecotOptions(s, "acct")
	opt.Password = func(context.Context) (string, error) { return "wrong", nil }
	c, _ := New(opt)
	err := c.Test(context.Background())
	if !errors.Is(err, ErrAuth) || !strings.HasPrefix(err.Error(), "login failed: NO [AUTHENTICATIONFAILED] ") {
		t.Errorf("Test with a wrong password: %v", err)
	}
	opt = dovecotOptions(s, "acct")
	opt.Folders = []string{"Nope"}
	c, _ = New(opt)
	if err := c.Test(context.Background()); !errors.Is(err, ErrFolderNotFound) {
		t.Errorf("Test with a missing folder: %v", err)
	}
}

// TestDovecotConformance runs the checks every connector passes against a
// real Dovecot: mail becomes items with their cursors, a restart resumes
// from the cursor with nothing lost or repeated, health follows an outage,
// Run returns promptly, a wrong password is tried once, and a batch the
// store refused is fetched again.
func TestDovecotConformance(t *testing.T) {
	s := startDovecot(t)
	readLog := func() string {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
		return string(b)
	}
	conntest.Run(t, conntest.Suite{
		Account: "work",
		New: func(t *testing.T, bad bool) model.Connector {
			opt := dovecotOptions(s, "work")
			if bad {
				opt.Password = func(context.Context) (string, error) { return "wrong", nil }
			}
			c, err := New(opt)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Add: func(t *testing.T, mark string) error {
			deliver(t, s, "INBOX", mail(mark+"@x", "conformance "+mark, "text of "+mark), time.Time{})
			return nil
		},
		// Every login Dovecot answered, accepted or refused.
		Attempts: func() int {
			l := readLog()
			return strings.Count(l, "imap-login: Login: ") + strings.Count(l, "auth failed")
		},
		Outage: func(t *testing.T) func() {
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
			}
		},
		Timeout: 30 * time.Second,
		Quiet:   3 * time.Second, // past Dovecot's 2 s delay before it refuses a login
	})
}
