package gate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
)

// benchReleased fills the fixture's store with n released mails from the
// last two weeks, each with a reply key; every fifth waits for a reply,
// the others are answered.
func benchReleased(f *fixture, n int) {
	f.t.Helper()
	now := f.clk.Now()
	batch := make([]model.Item, 0, 500)
	for i := range n {
		it := mail(fmt.Sprintf("r%06d", i), fmt.Sprintf("person%d@example.com", i%300), fmt.Sprintf("Question %d", i))
		it.ID = model.ItemID(it.Account, it.SourceID)
		it.Received = now.Add(-time.Duration(i%(14*24*60)) * time.Minute)
		it.Ingested, it.Released, it.State = it.Received, it.Received, model.StateReleased
		if i%5 != 0 {
			it.Answered = it.Received.Add(3 * time.Hour)
		}
		batch = append(batch, it)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := f.st.Put(batch, nil); err != nil {
				f.t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkReplies works out "waiting for your reply" (and so the check-in
// summary's "replies due today") from 10,000 released mails, 2,000 of them
// unanswered, without the cache: a scan of the released items with a due
// time each under "1 working day".
func BenchmarkReplies(b *testing.B) {
	f := newFixture(b, "2026-11-25 12:00:00", nil, rules.Builtins{})
	f.setPromise("1 working day")
	benchReleased(f, 10000)
	b.ResetTimer()
	for b.Loop() {
		f.g.mu.Lock()
		f.g.replies.dirty = true
		r, err := f.g.repliesLocked(f.clk.Now())
		f.g.mu.Unlock()
		if err != nil || len(r.Items) != 2000 {
			b.Fatalf("%d waiting, err %v", len(r.Items), err)
		}
	}
}

// BenchmarkReplyIngest stores batches of 50 replies from the Sent folder
// that answer 50 of 10,000 released mails: the reply index lookup, the
// answered items rewritten and the stats of the reply's day, in one
// transaction per batch (without fsync: the fixture's store).
func BenchmarkReplyIngest(b *testing.B) {
	f := newFixture(b, "2026-11-25 12:00:00", nil, rules.Builtins{})
	const n = 10000
	benchReleased(f, n)
	at := f.clk.Now()
	next := 0
	b.ResetTimer()
	for b.Loop() {
		batch := model.Batch{Account: "mail"}
		for range 50 {
			// Unanswered ones first (every fifth), then the others again: a
			// second reply to an answered mail changes nothing but is looked up.
			batch.Replies = append(batch.Replies, model.Reply{Key: fmt.Sprintf("r%06d@mail.example", (next*5)%n), At: at, Named: true})
			next++
		}
		if err := f.g.Ingest(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "replies/s")
}
