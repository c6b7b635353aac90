package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// mailItem is a held mail whose replies name its Message-ID.
func mailItem(account string, n int, received time.Time) model.Item {
	it := realisticItem(account, n, model.StateHeld)
	it.ReplyKey = strings.Trim(it.SourceID, "<>")
	it.Received = received
	return it
}

func answers(t *testing.T, s *Store, in Batch) Ingested {
	t.Helper()
	r, err := s.IngestReplies(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRepliesAnswerStoredItems: a reply that names an item marks it
// answered (held or released), once, in the same transaction that counts
// it in the reply day's stats; the first reply is the one that counts.
func TestRepliesAnswerStoredItems(t *testing.T) {
	s := openTest(t)
	a, b := mailItem("work", 1, t0), mailItem("work", 2, t0)
	other := mailItem("home", 3, t0) // same key in another account: not answered by work's replies
	other.ReplyKey = a.ReplyKey
	answers(t, s, Batch{Items: []model.Item{a, b, other}})
	if _, err := s.Release(t0.Add(time.Hour), "", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	var counted []string
	stats := func(it model.Item) []StatsChange {
		counted = append(counted, it.ID)
		return []StatsChange{{Day: it.Answered.UTC().Format(DayLayout), Apply: func(d *DayStats) {
			d.RepliesOnTime++
			d.AddReplyWait(it.Answered.Sub(it.Received))
		}}}
	}
	r := answers(t, s, Batch{Account: "work", Answered: stats, Replies: []model.Reply{
		{Key: a.ReplyKey, At: t0.Add(2 * time.Hour), Named: true},
		{Key: a.ReplyKey, At: t0.Add(3 * time.Hour), Named: true}, // a second reply
		{Key: "unknown@x", At: t0.Add(2 * time.Hour), Named: true},
	}})
	if len(r.Answered) != 1 || r.Answered[0].ID != a.ID || !r.Answered[0].Answered.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("answered = %+v, want only %s at +2h", r.Answered, a.ID)
	}
	got, _ := s.Get(a.ID)
	if !got.Answered.Equal(t0.Add(2*time.Hour)) || got.State != model.StateReleased || got.Log[len(got.Log)-1].Text != "answered: you replied" {
		t.Errorf("item after the reply = %+v", got)
	}
	for _, id := range []string{b.ID, other.ID} {
		if it, _ := s.Get(id); !it.Answered.IsZero() {
			t.Errorf("item %s answered by a reply to another", id)
		}
	}
	// Again: nothing changes, nothing is counted twice.
	r = answers(t, s, Batch{Account: "work", Answered: stats, Replies: []model.Reply{{Key: a.ReplyKey, At: t0.Add(4 * time.Hour), Named: true}}})
	if len(r.Answered) != 0 || len(counted) != 1 {
		t.Errorf("a later reply answered %d items again; counted %v", len(r.Answered), counted)
	}
	st, _ := s.Stats("2025-03-10", "2025-03-10")
	if st[0].RepliesOnTime != 1 || st[0].MedianReply() != 2*time.Hour {
		t.Errorf("stats = %+v", st[0])
	}
	// The answer survives a snooze (a whole rewrite).
	if _, err := s.Update(a.ID, func(it *model.Item) error { it.State = model.StateHeld; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(a.ID); !got.Answered.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("answer lost by Update: %+v", got.Answered)
	}
	checkConsistent(t, s)
}

// TestReplyBeforeItem: the Sent folder can be read before the inbox; the
// reply waits in the store and answers the item when it arrives.
func TestReplyBeforeItem(t *testing.T) {
	s := openTest(t)
	it := mailItem("work", 1, t0)
	answers(t, s, Batch{Account: "work", Replies: []model.Reply{{Key: it.ReplyKey, At: t0.Add(time.Minute), Named: true}}})
	if rs, _ := s.Replies("work", it.ReplyKey); len(rs) != 1 {
		t.Fatalf("stored replies = %v", rs)
	}
	r := answers(t, s, Batch{Items: []model.Item{it}})
	if len(r.Added) != 1 || !r.Added[0].Answered.Equal(t0.Add(time.Minute)) || len(r.Answered) != 1 {
		t.Fatalf("ingest = %+v", r)
	}
	checkConsistent(t, s)
}

// TestUnnamedRepliesCountOnlyAfter: a message in the same DM or thread
// answers what arrived before it, not what came later.
func TestUnnamedRepliesCountOnlyAfter(t *testing.T) {
	s := openTest(t)
	early, late := mailItem("chat", 1, t0), mailItem("chat", 2, t0.Add(time.Hour))
	early.ReplyKey, late.ReplyKey = "dm:D1", "dm:D1"
	answers(t, s, Batch{Items: []model.Item{early, late}})
	r := answers(t, s, Batch{Account: "chat", Replies: []model.Reply{{Key: "dm:D1", At: t0.Add(30 * time.Minute)}}})
	if len(r.Answered) != 1 || r.Answered[0].ID != early.ID {
		t.Fatalf("answered %v, want only the earlier message", ids(r.Answered))
	}
	r = answers(t, s, Batch{Account: "chat", Replies: []model.Reply{{Key: "dm:D1", At: t0.Add(2 * time.Hour)}}})
	if len(r.Answered) != 1 || r.Answered[0].ID != late.ID || !r.Answered[0].Answered.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("answered %+v, want the later message at +2h", r.Answered)
	}
	// A third message, after every reply so far, waits.
	third := mailItem("chat", 3, t0.Add(3*time.Hour))
	third.ReplyKey = "dm:D1"
	if r := answers(t, s, Batch{Items: []model.Item{third}}); len(r.Answered) != 0 {
		t.Errorf("a message after the last reply was answered: %+v", r.Answered)
	}
	checkConsistent(t, s)
}

// TestPruneDropsReplyIndex: pruned items leave the index and old replies
// go; Check and Recover keep the index sound.
func TestPruneDropsReplyIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b := mailItem("work", 1, t0), mailItem("work", 2, t0)
	answers(t, s, Batch{Items: []model.Item{a, b}, Account: "work", Replies: []model.Reply{
		{Key: a.ReplyKey, At: t0, Named: true}, {Key: b.ReplyKey, At: t0.Add(3 * time.Hour), Named: true}}})
	if _, err := s.MarkDone([]string{a.ID}, t0.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(t0.Add(2 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if rs, _ := s.Replies("work", a.ReplyKey); len(rs) != 0 {
		t.Errorf("replies older than the cut kept: %v", rs)
	}
	checkConsistent(t, s)
	_ = s.Close()
	rep, err := Check(path, Options{})
	if err != nil || !rep.OK() {
		t.Fatalf("check = %+v, %v", rep, err)
	}
	if _, err := Recover(path, t0.Add(3*time.Hour), Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if rep, err := Check(path, Options{}); err != nil || !rep.OK() {
		t.Fatalf("check of the recovered store = %+v, %v", rep, err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := s.Get(b.ID)
	if rs, _ := s.Replies("work", b.ReplyKey); !got.Answered.Equal(t0.Add(3*time.Hour)) || len(rs) != 1 {
		t.Errorf("after recovery: answered %v, replies %v", got.Answered, rs)
	}
	checkConsistent(t, s)
}

// TestMarkDoneCountsInItsTransaction: MarkDone and MarkAllDone count each
// item they change, with the item as done, in the same transaction: a
// count that cannot be stored (a bad day) leaves every item as it was.
func TestMarkDoneCountsInItsTransaction(t *testing.T) {
	s := openTest(t)
	a, b, c := mailItem("work", 1, t0), mailItem("work", 2, t0), mailItem("work", 3, t0)
	answers(t, s, Batch{Items: []model.Item{a, b, c}})
	if _, err := s.Release(t0.Add(time.Hour), "", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	count := func(it model.Item) []StatsChange {
		if it.State != model.StateDone || !it.Done.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("counted %s as %v done at %v, want done at +2h", it.ID, it.State, it.Done)
		}
		seen = append(seen, it.ID)
		return []StatsChange{{Day: "2025-03-10", Apply: func(d *DayStats) { d.NoReplyNeeded++ }}}
	}
	bad := func(model.Item) []StatsChange { return []StatsChange{{Day: "10 March", Apply: func(*DayStats) {}}} }
	if _, err := s.MarkDone([]string{a.ID}, t0.Add(2*time.Hour), bad); err == nil {
		t.Fatal("a count for a bad day was accepted")
	}
	if _, err := s.MarkAllDone(t0.Add(2*time.Hour), bad); err == nil {
		t.Fatal("a count for a bad day was accepted by MarkAllDone")
	}
	for _, id := range []string{a.ID, b.ID, c.ID} {
		if it, _ := s.Get(id); it.State != model.StateReleased {
			t.Fatalf("item %s is %v after a failed count, want released", id, it.State)
		}
	}
	if n, err := s.MarkDone([]string{a.ID, a.ID}, t0.Add(2*time.Hour), count); err != nil || n != 1 {
		t.Fatalf("mark done = %d, %v", n, err)
	}
	if n, err := s.MarkAllDone(t0.Add(2*time.Hour), count); err != nil || n != 2 {
		t.Fatalf("mark all done = %d, %v", n, err)
	}
	if n, err := s.MarkAllDone(t0.Add(2*time.Hour), count); err != nil || n != 0 {
		t.Fatalf("mark all done again = %d, %v", n, err)
	}
	st, _ := s.Stats("2025-03-10", "2025-03-10")
	if st[0].NoReplyNeeded != 3 || len(seen) != 3 {
		t.Errorf("no reply needed = %d, counted %v; want 3, each item once", st[0].NoReplyNeeded, seen)
	}
}
