//go:build unix

package imap

import (
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// TestDovecotDistinctMailIsNeverMerged delivers the identity corpus to a
// real Dovecot (copied-* messages to INBOX and Work) and asserts the exact
// item count: one per distinct message. Then both folders get a new
// UIDVALIDITY, every message is listed again, and the count holds.
func TestDovecotDistinctMailIsNeverMerged(t *testing.T) {
	s := startDovecot(t)
	if err := s.CreateFolder("alice", "Work"); err != nil {
		t.Fatal(err)
	}
	corpus := identityCorpus(t)
	// One INTERNALDATE for all, so the resync after the UIDVALIDITY change
	// (which starts from the newest date seen) lists every message again.
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	deliveries := 0
	for _, m := range corpus {
		for _, f := range m.folders {
			deliver(t, s, f, string(m.raw), at)
			deliveries++
		}
	}
	sink := newSink(t)
	opt := dovecotOptions(s, "acct")
	opt.Folders = []string{"INBOX", "Work"}
	opt.Initial.Mode = InitialAll
	r := start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 20*time.Second)
	t.Logf("%d messages in %d deliveries: %d items", len(corpus), deliveries, sink.count())
	checkIdentityItems(t, sink, corpus)
	offered := sink.Offered()

	validity := map[string]uint32{}
	for _, f := range opt.Folders {
		v, err := s.ChangeUIDValidity("alice", f)
		if err != nil {
			t.Fatal(err)
		}
		validity[f] = v
	}
	r.c.Wake()
	waitFor(t, 20*time.Second, "both folders resynced", func() bool {
		a, _ := sink.cursor("acct", "INBOX")
		b, _ := sink.cursor("acct", "Work")
		return a.validity == validity["INBOX"] && b.validity == validity["Work"]
	})
	t.Logf("after the UIDVALIDITY change: %d items", sink.count())
	checkIdentityItems(t, sink, corpus)
	relisted := sink.Offered() - offered
	if relisted != deliveries {
		t.Errorf("the resync offered %d items, want every delivery again (%d)", relisted, deliveries)
	}

	deliver(t, s, "Work", mail("after@x", "after the change", "new"), time.Time{})
	waitFor(t, 10*time.Second, "mail after the change", func() bool { return sink.count() == len(corpus)+1 })
	checkIdentityItems(t, sink, corpus, "after the change")
}
