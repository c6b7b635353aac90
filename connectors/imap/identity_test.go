package imap

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// identityMail is one message of testdata/identity and the folders it is
// delivered to.
type identityMail struct {
	name    string
	raw     []byte
	folders []string
}

// identityCorpus reads testdata/identity (see its README): every file is a
// distinct message and must become exactly one item; copied-* files go to
// INBOX and Work.
func identityCorpus(t *testing.T) []identityMail {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "identity", "*.eml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no identity corpus: %v", err)
	}
	slices.Sort(paths)
	var out []identityMail
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m := identityMail{name: filepath.Base(p), raw: raw, folders: []string{"INBOX"}}
		if strings.HasPrefix(m.name, "copied-") {
			m.folders = append(m.folders, "Work")
		}
		out = append(out, m)
	}
	return out
}

// wantIdentitySubjects is one subject per file of the corpus.
func wantIdentitySubjects(t *testing.T, corpus []identityMail) []string {
	t.Helper()
	var want []string
	for _, m := range corpus {
		want = append(want, ParseMessage(m.raw).Subject)
	}
	slices.Sort(want)
	return want
}

// checkIdentityItems asserts the exact item count and one item per message.
func checkIdentityItems(t *testing.T, sink *testSink, corpus []identityMail, extra ...string) {
	t.Helper()
	want := append(wantIdentitySubjects(t, corpus), extra...)
	slices.Sort(want)
	if n := sink.count(); n != len(want) {
		t.Errorf("%d items, want exactly %d (one per distinct message)", n, len(want))
	}
	if got := sortedSubjects(sink); !slices.Equal(got, want) {
		t.Errorf("item subjects\n got %q\nwant %q", got, want)
	}
}

// TestMemDistinctMailIsNeverMerged runs the identity corpus through go-imap's
// server: mail sharing a Message-ID, or lacking one with equal Date, From and
// Subject, stays apart; a message in two watched folders is one item, also
// after both folders get a new UIDVALIDITY and every message is listed again.
func TestMemDistinctMailIsNeverMerged(t *testing.T) {
	corpus := identityCorpus(t)
	ms := newMemServer(t, "Work")
	// One INTERNALDATE for all, so the resync after the UIDVALIDITY change
	// (which starts from the newest date seen) lists every message again.
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	fill := func() {
		for _, m := range corpus {
			for _, f := range m.folders {
				ms.add(t, f, string(m.raw), at)
			}
		}
	}
	fill()
	sink := newSink(t)
	opt := ms.options("acct")
	opt.Folders = []string{"INBOX", "Work"}
	opt.Initial.Mode = InitialAll
	r := start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	checkIdentityItems(t, sink, corpus)
	offered := sink.Offered()

	before, _ := sink.cursor("acct", "INBOX")
	for _, f := range opt.Folders {
		if err := ms.user.Delete(f); err != nil {
			t.Fatal(err)
		}
		if err := ms.user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	fill()
	ms.add(t, "INBOX", mail("after@x", "after the change", "new"), time.Time{})
	r.c.Wake()
	waitFor(t, 5*time.Second, "both folders resynced", func() bool {
		a, _ := sink.cursor("acct", "INBOX")
		b, _ := sink.cursor("acct", "Work")
		return a.validity != before.validity && b.validity != before.validity && sink.count() >= len(corpus)+1
	})
	checkIdentityItems(t, sink, corpus, "after the change")
	relisted := sink.Offered() - offered
	if relisted < 11 {
		t.Errorf("the resync offered %d items, want every message again (11) and the new one", relisted)
	}
}

// TestMemUpgradeKeepsStoredIdentity: a folder synced by the version that
// named items by Message-ID alone (a v1 cursor) and then resynced after a
// UIDVALIDITY change does not store what it holds a second time; mail newer
// than that cursor gets today's identity.
func TestMemUpgradeKeepsStoredIdentity(t *testing.T) {
	ms := newMemServer(t)
	seen := time.Now().Add(-time.Hour).Truncate(time.Second)
	old := mail("seen@x", "seen before the upgrade", "old")
	noID := mail("", "seen without id", "old too")
	ms.add(t, "INBOX", old, seen)
	ms.add(t, "INBOX", noID, seen)
	ms.add(t, "INBOX", mail("new@x", "arrived after", "new"), seen.Add(time.Minute))

	sink := newSink(t)
	// What the previous version left: its cursor (another UIDVALIDITY, so
	// the folder is resynced from the mark) and the two items under their
	// old source IDs.
	var items []model.Item
	for _, raw := range []string{old, noID} {
		m := ParseMessage([]byte(raw))
		src := "mid:" + m.MessageID
		if m.MessageID == "" {
			src = legacySourceID("INBOX", 4242, 1, m)
		}
		items = append(items, model.Item{Kind: model.KindIMAP, SourceID: src, FromName: m.FromName, FromAddr: m.FromAddr,
			Subject: m.Subject, Snippet: m.Snippet, Received: seen})
	}
	if err := sink.Ingest(context.Background(), model.Batch{Account: "acct", Items: items, Cursors: []model.Cursor{
		{Account: "acct", Key: cursorKey("INBOX"), Value: fmt.Appendf(nil, "v1 4242 3 0 %d", seen.Unix())},
	}}); err != nil {
		t.Fatal(err)
	}

	start(t, ms.options("acct"), sink)
	waitFor(t, 5*time.Second, "the resync", func() bool {
		c, _ := sink.cursor("acct", "INBOX")
		return c.validity != 4242 && c.validity != 0
	})
	if got, want := sortedSubjects(sink), []string{"arrived after", "seen before the upgrade", "seen without id"}; !slices.Equal(got, want) {
		t.Errorf("items after the upgrade's resync = %q, want %q", got, want)
	}
	it, _ := sink.bySubject("arrived after")
	if !strings.HasPrefix(it.SourceID, "mid:new@x#") {
		t.Errorf("new mail has source %q, want a fingerprinted one", it.SourceID)
	}
	c, _ := sink.cursor("acct", "INBOX")
	if !c.legacy.Equal(seen) {
		t.Errorf("cursor legacy %v, want it kept at %v", c.legacy, seen)
	}
}
