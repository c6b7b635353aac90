//go:build unix

package imap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// Measurements of holding on the server against a real Dovecot, with the
// real gate and store (fsync on) behind the connector, as in the daemon:
//
//	go test ./connectors/imap -run '^$' -bench 'Hold|Release1000' -benchtime 50x
//
// They report figures; they assert nothing about time.

// benchGate runs a gate on a fresh store whose plan holds all day (a
// vacation over today).
func benchGate(b *testing.B) *gate.Gate {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "sluice.db"), store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	plan, err := schedule.Template("twice-a-day", time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	plan.Vacations = []schedule.DateRange{{From: schedule.DateOf(now.AddDate(0, 0, -1)), To: schedule.DateOf(now.AddDate(0, 0, 1))}}
	g, err := gate.New(st, clock.Real{}, gate.Settings{Plan: plan, BudgetPerHour: 3}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	<-g.Ready()
	return g
}

// runHolding runs a connector holding on the server into g until the
// benchmark ends.
func runHolding(b *testing.B, s *dovecottest.Server, g *gate.Gate) *Connector {
	b.Helper()
	opt := holdOptions(s, "bench")
	c, err := New(opt)
	if err != nil {
		b.Fatal(err)
	}
	c.SetHold(context.Background(), g.HoldInfo(time.Time{}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx, g); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(30 * time.Second)
	for {
		hs := g.Health()
		if len(hs) == 1 && hs[0].State == "connected" && !strings.Contains(hs[0].Detail, "checking") && strings.Contains(hs[0].Detail, "holding on server") {
			return c
		}
		if time.Now().After(deadline) {
			b.Fatalf("not connected: %+v", hs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// files counts the messages in a folder's Maildir.
func files(b *testing.B, s *dovecottest.Server, folder string) int {
	n := 0
	for _, sub := range []string{"new", "cur"} {
		es, _ := os.ReadDir(filepath.Join(s.MaildirPath("alice", folder), sub))
		n += len(es)
	}
	return n
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// BenchmarkHoldLatency delivers one message per iteration while the gate
// holds and measures how long it is in INBOX: from the delivery (the
// Maildir file appearing) to its being gone from INBOX (moved to the hold
// folder), which is how long a phone can see it; and from the server's
// announcement in IDLE (Dovecot waits about half a second before it tells
// an idling client).
func BenchmarkHoldLatency(b *testing.B) {
	s := dovecottest.New(b, dovecottest.Options{})
	var announced time.Time
	announce := make(chan time.Time, 16)
	testHookAnnounce = func() {
		select {
		case announce <- time.Now():
		default:
		}
	}
	defer func() { testHookAnnounce = nil }()
	g := benchGate(b)
	runHolding(b, s, g)
	var inInbox, fromAnnounce []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for len(announce) > 0 {
			<-announce
		}
		t0 := time.Now()
		if _, err := s.Deliver("alice", "INBOX", dovecottest.Generated(5_000_000+i), time.Time{}); err != nil {
			b.Fatal(err)
		}
		deadline := t0.Add(30 * time.Second)
		for files(b, s, "INBOX") > 0 {
			if time.Now().After(deadline) {
				b.Fatal("the message was not moved within 30 s")
			}
			time.Sleep(time.Millisecond)
		}
		t1 := time.Now()
		inInbox = append(inInbox, t1.Sub(t0))
		select {
		case announced = <-announce:
			fromAnnounce = append(fromAnnounce, t1.Sub(announced))
		default:
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(inInbox, 0.5).Seconds()*1000, "ms-in-inbox-p50")
	b.ReportMetric(percentile(inInbox, 0.95).Seconds()*1000, "ms-in-inbox-p95")
	b.ReportMetric(percentile(fromAnnounce, 0.5).Seconds()*1000, "ms-announce-to-moved-p50")
	b.ReportMetric(percentile(fromAnnounce, 0.95).Seconds()*1000, "ms-announce-to-moved-p95")
}

// BenchmarkRelease1000 releases 1,000 held messages per iteration: the
// time of Release (one UID MOVE, the items' notes in one transaction) and
// until all 1,000 are in INBOX on the server.
func BenchmarkRelease1000(b *testing.B) {
	const n = 1000
	s := dovecottest.New(b, dovecottest.Options{})
	if err := s.CreateFolder("alice", "Sluice/Held"); err != nil {
		b.Fatal(err)
	}
	if err := s.Fill("alice", "Sluice/Held", 0, n); err != nil {
		b.Fatal(err)
	}
	g := benchGate(b)
	c := runHolding(b, s, g)
	// The hold folder's watcher takes the 1,000 in as held items.
	for deadline := time.Now().Add(time.Minute); ; {
		if st := g.Status(); st.Held == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d held, want %d", g.Status().Held, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl := client(b, s)
	var calls, visible []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		moved, err := c.Release(context.Background(), "bench")
		t1 := time.Now()
		if err != nil || moved != n {
			b.Fatalf("Release = %d, %v", moved, err)
		}
		for files(b, s, "INBOX") != n {
			time.Sleep(time.Millisecond)
		}
		calls = append(calls, t1.Sub(t0))
		visible = append(visible, time.Since(t0))
		b.StopTimer()
		// Put them back for the next round (the items are still held).
		if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
			b.Fatal(err)
		}
		if _, err := cl.Move(imap.SeqSet{{Start: 1, Stop: 0}}, "Sluice/Held").Wait(); err != nil {
			b.Fatal(err)
		}
		for files(b, s, "Sluice/Held") != n {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(700 * time.Millisecond) // let the watchers see it
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(percentile(calls, 0.5).Seconds()*1000, "ms-release-p50")
	b.ReportMetric(percentile(visible, 0.5).Seconds()*1000, "ms-all-in-inbox-p50")
	b.ReportMetric(percentile(visible, 0.95).Seconds()*1000, "ms-all-in-inbox-p95")
}
