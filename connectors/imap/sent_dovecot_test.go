//go:build unix

package imap

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// appendAs is another mail client of alice's (a phone) saving a message
// into a folder over IMAP, as every client does with what it sent.
func appendAs(t *testing.T, s *dovecottest.Server, folder, raw string) {
	t.Helper()
	if err := s.AppendOverTLS("alice", folder, []byte(raw), time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func (s *testSink) replyKeys() []string {
	var out []string
	for _, r := range s.Replies() {
		out = append(out, r.Key)
	}
	return out
}

// sentMail is a reply alice sent, as her client saves it in Sent.
func sentMail(id, inReplyTo, references, date string) string {
	var b strings.Builder
	b.WriteString("From: Alice <alice@example.org>\r\nTo: ann@example.com\r\nSubject: Re: numbers\r\n")
	b.WriteString("Date: " + date + "\r\nMessage-ID: <" + id + ">\r\n")
	if inReplyTo != "" {
		b.WriteString("In-Reply-To: " + inReplyTo + "\r\n")
	}
	if references != "" {
		b.WriteString("References: " + references + "\r\n")
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nThanks!\r\n")
	return b.String()
}

// TestDovecotSentReplies: items from people carry their Message-ID as the
// key replies name, list mail and robots carry none; the Sent folder
// (found by its \Sent flag) is watched for the user's replies, which come
// with every id they name and the time they were sent; what Sent held
// before the account was added answers nothing.
func TestDovecotSentReplies(t *testing.T) {
	s := startDovecot(t)
	appendAs(t, s, "Sent", sentMail("old@alice", "<before@x>", "", "Mon, 23 Nov 2026 09:00:00 +0100"))
	sink := newSink(t)
	opt := dovecotOptions(s, "work")
	opt.WatchSent = true
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthConnected, 10*time.Second)
	waitFor(t, 10*time.Second, "the Sent folder in the health", func() bool {
		return strings.Contains(sink.lastHealth().Detail, "your replies from Sent")
	})
	t.Logf("health: %s", h.Detail)

	person := "From: Ann <ann@example.com>\r\nTo: alice@example.org\r\nSubject: numbers\r\nMessage-ID: <q1@example.com>\r\n\r\nThe numbers?\r\n"
	list := "From: Dev list <dev@lists.example.com>\r\nTo: dev@lists.example.com\r\nSubject: [dev] release\r\nMessage-ID: <l1@example.com>\r\nList-Id: <dev.lists.example.com>\r\n\r\nRelease notes\r\n"
	robot := "From: GitHub <noreply@github.com>\r\nTo: alice@example.org\r\nSubject: CI passed\r\nMessage-ID: <r1@example.com>\r\n\r\nAll green\r\n"
	bulk := "From: Shop <offers@shop.example>\r\nTo: alice@example.org\r\nSubject: Sale\r\nMessage-ID: <b1@example.com>\r\nPrecedence: bulk\r\n\r\n50% off\r\n"
	for _, raw := range []string{person, list, robot, bulk} {
		deliver(t, s, "INBOX", raw, time.Time{})
	}
	waitFor(t, 10*time.Second, "four items", func() bool { return sink.count() == 4 })
	for subject, want := range map[string]string{"numbers": "q1@example.com", "[dev] release": "", "CI passed": "", "Sale": ""} {
		it, _ := sink.bySubject(subject)
		if it.ReplyKey != want {
			t.Errorf("%q: reply key %q, want %q", subject, it.ReplyKey, want)
		}
	}

	// The reply, saved to Sent by the phone.
	appendAs(t, s, "Sent", sentMail("re1@alice", "<q1@example.com>", "<root@example.com> <q1@example.com>", "Mon, 23 Nov 2026 12:34:56 +0100"))
	waitFor(t, 10*time.Second, "the reply", func() bool { return len(sink.replyKeys()) >= 2 })
	got := sink.Replies()
	want := time.Date(2026, 11, 23, 11, 34, 56, 0, time.UTC)
	if len(got) != 2 || got[0].Key != "q1@example.com" || got[1].Key != "root@example.com" {
		t.Fatalf("replies = %+v, want q1 (In-Reply-To) then root (References), once each", got)
	}
	for _, r := range got {
		if !r.At.Equal(want) || !r.Named {
			t.Errorf("reply %+v, want sent at %v and naming the item", r, want)
		}
	}
	if cur, _ := sink.Cursor("work", sentCursorKey("Sent")); !bytes.HasPrefix(cur, []byte("v2 ")) {
		t.Errorf("Sent cursor = %q", cur)
	}
	if n := sink.count(); n != 4 {
		t.Errorf("sent mail became %d items, want none (4 in all)", n-4)
	}
}

// TestDovecotSentFolderByName: a Sent folder without the \Sent flag is
// named in the options.
func TestDovecotSentFolderByName(t *testing.T) {
	s := startDovecot(t)
	if err := s.CreateFolder("alice", "Gesendet"); err != nil {
		t.Fatal(err)
	}
	sink := newSink(t)
	opt := dovecotOptions(s, "work")
	opt.WatchSent, opt.SentFolder = true, "Gesendet"
	start(t, opt, sink)
	waitFor(t, 10*time.Second, "Gesendet watched", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthConnected && strings.Contains(h.Detail, "your replies from Gesendet")
	})
	appendAs(t, s, "Gesendet", sentMail("re2@alice", "<q2@example.com>", "", "Tue, 24 Nov 2026 08:00:00 +0100"))
	waitFor(t, 10*time.Second, "the reply", func() bool { return slices.Equal(sink.replyKeys(), []string{"q2@example.com"}) })
	appendAs(t, s, "Sent", sentMail("re3@alice", "<q3@example.com>", "", "Tue, 24 Nov 2026 08:01:00 +0100"))
	time.Sleep(time.Second) // Dovecot tells IDLE clients within ~0.5 s
	if keys := sink.replyKeys(); !slices.Equal(keys, []string{"q2@example.com"}) {
		t.Errorf("replies = %v: the flagged Sent folder was watched although another was named", keys)
	}
}
