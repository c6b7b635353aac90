//go:build unix

package sieve

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// sieveServer starts a Dovecot with Pigeonhole, ManageSieve and LMTP.
func sieveServer(t *testing.T, ext string) *dovecottest.Server {
	t.Helper()
	return dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{Extensions: ext}})
}

// login connects to the server's ManageSieve over verified STARTTLS and
// logs in as user.
func login(t *testing.T, s *dovecottest.Server, user string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
	if err != nil {
		t.Fatalf("dial: %v%s", err, s.LogTail(10))
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(ctx, user, s.Password(user)); err != nil {
		t.Fatalf("login: %v%s", err, s.LogTail(10))
	}
	return c
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// stored is one message as IMAP shows it.
type stored struct {
	Subject string
	Flags   []string
	Raw     []byte
}

func (m stored) hasFlag(f string) bool {
	for _, g := range m.Flags {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}

// folder lists a folder's messages over IMAP; a folder that does not exist
// is empty.
func folder(t *testing.T, s *dovecottest.Server, user, name string) []stored {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, s.Password(user)).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		if strings.Contains(err.Error(), "NONEXISTENT") || strings.Contains(err.Error(), "doesn't exist") {
			return nil
		}
		t.Fatalf("select %s: %v", name, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var set imap.SeqSet
	set.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(set, &imap.FetchOptions{Flags: true, Envelope: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, m := range msgs {
		st := stored{Subject: m.Envelope.Subject}
		for _, f := range m.Flags {
			st.Flags = append(st.Flags, string(f))
		}
		for _, b := range m.BodySection {
			st.Raw = b.Bytes
		}
		out = append(out, st)
	}
	return out
}

func subjects(ms []stored) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	sort.Strings(out)
	return out
}

// mail is a message from a sender with extra header lines.
func mail(from, subject, body string, extra ...string) []byte {
	h := "From: " + from + "\r\nTo: Alice <alice@example.net>\r\nSubject: " + subject + "\r\n" +
		"Message-ID: <" + strings.NewReplacer(" ", ".", "@", ".", "<", "", ">", "").Replace(subject+from) + "@test>\r\n" +
		"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return []byte(h + "\r\n" + body + "\r\n")
}

// deliver hands a message to the server over LMTP for alice.
func deliver(t *testing.T, s *dovecottest.Server, envFrom string, raw []byte) {
	t.Helper()
	if err := s.DeliverLMTP(envFrom, []string{"alice@example.net"}, raw); err != nil {
		t.Fatalf("deliver: %v%s", err, s.LogTail(10))
	}
}
